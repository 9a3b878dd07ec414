// The "article only" switch on every notebook page. On, it hides every cell tagged beyond-article
// (the notes beside the article's steps) and every notebook of the production track (07 on), whose
// page then says only what it is. The choice is kept in localStorage, so it holds from page to page
// and offline.
const ARTICLE_ONLY = "spamcheck-article-only";
document.addEventListener("DOMContentLoaded", () => {
  const article = document.querySelector("article");
  const first = article && article.querySelector("[id^='cell-id=']");
  if (!first) return; // notebook pages only
  if (/The production track/.test(first.innerText)) {
    article.classList.add("production-track");
    const note = document.createElement("p");
    note.className = "production-track-note";
    note.textContent =
      "This notebook is the production track, beyond the article: switch Article only off to read it.";
    article.prepend(note);
  }
  const box = document.createElement("input");
  box.type = "checkbox";
  box.id = "article-only";
  box.checked = localStorage.getItem(ARTICLE_ONLY) === "1";
  const apply = () => document.body.classList.toggle("article-only", box.checked);
  box.addEventListener("change", () => {
    localStorage.setItem(ARTICLE_ONLY, box.checked ? "1" : "0");
    apply();
  });
  const label = document.createElement("label");
  label.className = "article-only-switch";
  label.append(box, " Article only: hide every part beyond the article");
  article.prepend(label);
  apply();
});
