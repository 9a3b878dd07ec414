// The "article only" switch on every notebook page: on, it hides every cell tagged beyond-article
// and leaves the article's step. The choice is kept in localStorage, so it holds from page to page
// and offline.
const ARTICLE_ONLY = "spamcheck-article-only";
document.addEventListener("DOMContentLoaded", () => {
  const article = document.querySelector("article");
  if (!article || !article.querySelector(".celltag_beyond-article")) return; // notebook pages only
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
