// The report form, helped along (it works without this script: the server checks everything again):
// the description's characters counted as they are typed, the photos checked when chosen (how many,
// how big, JPEG or PNG by their first bytes), and one click sends once.
"use strict";
(() => {
  const form = document.getElementById("report-form");
  if (!form) return;
  const d = form.dataset, maxPhotos = Number(d.maxPhotos), maxBytes = Number(d.maxBytes), maxChars = Number(d.maxChars);
  const description = document.getElementById("description"), count = document.getElementById("description-count");
  const input = document.getElementById("photos"), check = document.getElementById("photos-check");
  const fill = (text, values) => Object.entries(values).reduce((t, [k, v]) => t.split("{" + k + "}").join(String(v)), text);
  const number = (n) => n.toLocaleString(document.documentElement.lang === "vi" ? "vi-VN" : "en-GB");

  function counted() {
    const n = description.value.length;
    count.textContent = fill(d.msgChars, {n: number(n)});
    count.classList.toggle("error", n > maxChars);
  }

  // JPEG starts FF D8 FF, PNG 89 50 4E 47: what the server decodes, whatever the file's name says
  async function looksLikeImage(file) {
    const head = new Uint8Array(await file.slice(0, 4).arrayBuffer());
    return (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) ||
      (head[0] === 0x89 && head[1] === 0x50 && head[2] === 0x4e && head[3] === 0x47);
  }

  async function photoProblems() {
    const files = [...input.files];
    if (files.length > maxPhotos) return [fill(d.msgTooMany, {n: files.length})];
    const out = [];
    for (const f of files) {
      if (f.size > maxBytes) out.push(fill(d.msgTooBig, {name: f.name}));
      else if (!(await looksLikeImage(f))) out.push(fill(d.msgNotImage, {name: f.name}));
    }
    return out;
  }

  async function showPhotoProblems() {
    const problems = await photoProblems();
    check.textContent = problems.join(" ");
    check.hidden = !problems.length;
    return problems.length === 0;
  }

  description.addEventListener("input", counted);
  input.addEventListener("change", showPhotoProblems);
  let sending = false;
  form.addEventListener("submit", (ev) => {
    if (sending) { ev.preventDefault(); return; }
    ev.preventDefault();
    showPhotoProblems().then((ok) => {
      if (!ok) { input.focus(); return; }
      sending = true;
      document.getElementById("report-send").disabled = true;
      form.submit();  // the plain POST: the server's page follows
    });
  });
  // back to this page from the next one (the browser's cache): the button works again
  window.addEventListener("pageshow", () => { sending = false; document.getElementById("report-send").disabled = false; });
  if (description.value) counted();
})();
