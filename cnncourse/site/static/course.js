// A lesson's notebook link downloads the file (opened from disk, a browser would show its raw JSON instead).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll('a[href$=".ipynb"]').forEach(link => {
    if (link.getAttribute("href").includes("_sources/")) link.setAttribute("download", "");
  });
});
