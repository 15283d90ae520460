// A lesson's notebook link downloads the file (opened from disk, a browser would show its raw JSON instead).
// Every page links to the same page in the other language: the Korean site is the folder ko/ of the English one.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll('a[href$=".ipynb"]').forEach(link => {
    if (link.getAttribute("href").includes("_sources/")) link.setAttribute("download", "");
  });
  const korean = document.documentElement.lang === "ko";
  const page = window.location.pathname.split("/").pop() || "index.html";
  const other = document.createElement("a");
  other.href = (korean ? "../" : "ko/") + page;
  other.textContent = korean ? "English" : "한국어";
  other.className = "language-switch";
  other.lang = korean ? "en" : "ko";
  document.querySelector("article")?.prepend(other);
});
