// Exercises' solutions start hidden, as in JupyterLab: each cell tagged "solution" is wrapped in a
// <details> element that the reader opens to reveal it.
document.addEventListener("DOMContentLoaded", () => {
  // the notebook template nests a cell's div in another with the same classes: take the outer one
  const cells = [...document.querySelectorAll(".celltag_solution")].filter(
    (cell) => !cell.parentElement.closest(".celltag_solution"),
  );
  cells.forEach((cell, index) => {
    const details = document.createElement("details");
    details.className = "solution";
    const summary = document.createElement("summary");
    summary.textContent = `Show solution ${index + 1}`;
    cell.parentNode.insertBefore(details, cell);
    details.append(summary, cell);
  });
});
