"""The page's own CSS and script, shipped in the page's head by ``ui.app.launch_kwargs``.

The script does in the browser what Gradio cannot do on the server:

- the kiosk's idle reset: any keypress, ``input``, composition (how Chinese is typed), tap, scroll or focus
  counts as activity; the chat clears itself after ``idleMs`` without any, and never while the question box
  holds text or an answer is on its way;
- the view lands on the top of each new answer (Gradio's own autoscroll would land on its last row);
- accessible names: each message is named by its plain text, not its HTML; Gradio's English labels are
  said in Chinese;
- copying a message copies plain text (answer, then its sources as 序号｜类别｜内容｜单位 lines);
- a full queue is a calm Chinese notice, and the question goes back into the box;
- the kiosk's 「朗读」 reads the latest direct answer aloud with the browser's own zh voice, and stays
  hidden where the device has none;
- the responsibility matrix's cells tell their task and role on tap or keyboard focus, not only on hover.
"""

from __future__ import annotations

import json

BASE_CSS = """
.nq-banner h1 { margin: 0 0 .2em 0; font-size: 1.6em; }
.nq-scope { margin: 0; font-weight: 600; color: #1a3d7c; }
#nq-chat { height: calc(100vh - 340px) !important; min-height: 300px; }
.nq-answer .nq-direct { font-weight: 700; margin: 0 0 .3em 0; }
.nq-answer .nq-more { margin: 0 0 .3em 0; }
.nq-sources-title { margin: .6em 0 .2em 0; font-weight: 700; color: #333; }
details.nq-fold > summary { cursor: pointer; color: #0b3d91; font-weight: 600; padding: .2em 0; }
details.nq-fold > summary:focus-visible { outline: 3px solid #0b3d91; outline-offset: 2px; }
.nq-pending { display: flex; align-items: center; gap: .5em; color: #222; }
.nq-pending.nq-busy { color: #0b3d91; font-weight: 600; }
.nq-spinner { display: inline-block; width: 1em; height: 1em; border: 3px solid #c5d3ea;
  border-top-color: #0b3d91; border-radius: 50%; animation: nq-spin 1s linear infinite; }
.nq-busy .nq-spinner { display: none; }
@keyframes nq-spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .nq-spinner { animation: none; } }
table.nq-tasks { border-collapse: collapse; width: 100%; font-size: .92em; margin: .3em 0; }
table.nq-tasks caption { text-align: left; color: #333; padding: .2em 0; }
table.nq-tasks th, table.nq-tasks td { border: 1px solid #999; padding: .3em .5em; vertical-align: top;
  text-align: left; }
table.nq-tasks th { background: #e8eef8; color: #000; white-space: nowrap; }
table.nq-tasks td.nq-num { text-align: center; white-space: nowrap; }
table.nq-tasks td.nq-cat { white-space: nowrap; }
mark.nq-hl { background: #ffe066; color: #000; font-weight: 700; padding: 0 .1em; }
blockquote.nq-quote { border-left: 4px solid #1a3d7c; margin: .4em 0; padding: .3em .8em; background: #f3f6fb;
  color: #111; }
.nq-quote-src { font-weight: 700; }
dl.nq-header { display: grid; grid-template-columns: max-content 1fr; gap: .3em 1em; margin: 0; }
dl.nq-header dt { font-weight: 700; }
dl.nq-header dd { margin: 0; }
.nq-clause h4 { margin: .8em 0 .2em 0; }
.nq-clause p { margin: 0; line-height: 1.7; }
.nq-matrix { overflow-x: auto; }
table.nq-grid { border-collapse: collapse; font-size: .9em; }
table.nq-grid th, table.nq-grid td { border: 1px solid #bbb; padding: .15em .3em; text-align: center; }
table.nq-grid th.nq-unit { text-align: left; white-space: nowrap; }
table.nq-grid [tabindex]:focus { outline: 3px solid #000; outline-offset: -2px; }
.nq-cell { display: inline-block; min-width: 1.6em; text-align: center; font-weight: 700; }
td.nq-cell { display: table-cell; }
.nq-lead { background: #b3261e; color: #fff; }
.nq-co { background: #1f6fb2; color: #fff; }
.nq-assist { background: #cfe3c4; color: #1b3d12; }
.nq-legend-item { margin-right: 1.2em; }
.nq-legend-item .nq-cell { margin-right: .3em; padding: 0 .2em; }
.nq-matrix-detail { min-height: 1.6em; font-weight: 600; color: #000; }
/* contrast >= 4.5:1: placeholder, the selected tab */
#nq-input textarea::placeholder { color: #595959 !important; opacity: 1 !important; }
button[role="tab"][aria-selected="true"], .tab-container button.selected { color: #0b3d91 !important;
  border-color: #0b3d91 !important; }
/* a full queue is a notice, not an error: no red toast, no red badge over the chat or the question box */
.toast-body.error { background: #eef4fb !important; border-color: #0b3d91 !important; }
.toast-body.error, .toast-body.error * { color: #0b3d91 !important; border-color: #0b3d91 !important; }
.toast-body.error [class*="timer"] { background: #0b3d91 !important; }
#nq-chat [data-testid="status-tracker"], #nq-input [data-testid="status-tracker"],
#nq-suggest [data-testid="status-tracker"], #nq-suggest-title [data-testid="status-tracker"] {
  display: none !important; }
#nq-read { display: none; }
/* phones: a cited row becomes a card, every cell named, nothing clipped */
@media (max-width: 640px) {
  table.nq-tasks, table.nq-tasks tbody, table.nq-tasks tr, table.nq-tasks td { display: block; width: 100%;
    box-sizing: border-box; }
  table.nq-tasks thead { display: none; }
  table.nq-tasks tr { border: 1px solid #999; margin: .5em 0; }
  table.nq-tasks td { border: none; border-bottom: 1px solid #ddd; white-space: normal !important;
    text-align: left !important; overflow-wrap: anywhere; }
  table.nq-tasks td::before { font-weight: 700; color: #333; }
  table.nq-tasks td.nq-num::before { content: "序号："; }
  table.nq-tasks td.nq-cat::before { content: "工作任务："; }
  table.nq-tasks td.nq-content::before { content: "主要内容："; }
  table.nq-tasks td.nq-units::before { content: "责任单位："; }
  #nq-chat { height: calc(100vh - 300px) !important; }
}
"""

KIOSK_CSS = """
body, .gradio-container { background: #fff !important; color: #000 !important; }
.gradio-container { font-size: 24px !important; }
.nq-banner h1 { font-size: 40px !important; }
.nq-banner .nq-scope { font-size: 26px !important; color: #000; background: #ffe066; display: inline-block;
  padding: .15em .5em; }
#nq-suggest-title, #nq-suggest-title * { font-size: 24px !important; }
#nq-chat { height: calc(100vh - 620px) !important; min-height: 420px; }
#nq-chat, #nq-chat * { font-size: 24px !important; line-height: 1.55 !important; }
#nq-input textarea { font-size: 28px !important; min-height: 64px; }
.nq-touch, .nq-suggest { min-height: 72px !important; font-size: 24px !important; }
footer { display: none !important; }
"""

_SCRIPT = r"""
<script>
(() => {
  const cfg = __CONFIG__;
  // Gradio's chrome in Chinese whatever the browser's language (read by Gradio when it starts).
  try {
    Object.defineProperty(Navigator.prototype, "language", { get: () => "zh-CN", configurable: true });
    Object.defineProperty(Navigator.prototype, "languages", { get: () => ["zh-CN", "zh"], configurable: true });
  } catch (e) { /* keep the browser's */ }
  const $ = (s, r = document) => r.querySelector(s);
  const $$ = (s, r = document) => Array.from(r.querySelectorAll(s));
  const box = () => $("#nq-input textarea");
  const BLOCK = new Set(["P", "DIV", "BLOCKQUOTE", "TR", "CAPTION", "SUMMARY", "TABLE", "SECTION", "H4",
    "DETAILS", "LI", "UL", "OL", "DL", "DT", "DD", "THEAD", "TBODY"]);

  // Plain text of rendered content: lines for blocks, table cells joined by ｜, folded parts included.
  const plain = (node) => {
    const out = [];
    let line = "";
    const flush = () => { if (line.trim()) { out.push(line.trim()); } line = ""; };
    const walk = (n) => {
      if (n.nodeType === 3) { line += n.nodeValue; return; }
      if (n.nodeType !== 1 || n.matches(".nq-spinner, button, svg, style, script")) { return; }
      if (n.tagName === "BR") { flush(); return; }
      if (n.tagName === "TD" || n.tagName === "TH") {
        if (line.trim()) { line += "｜"; }
        n.childNodes.forEach(walk);
        return;
      }
      const block = BLOCK.has(n.tagName);
      if (block) { flush(); }
      n.childNodes.forEach(walk);
      if (block) { flush(); }
    };
    walk(node);
    flush();
    return out.join("\n");
  };
  const plainFromHtml = (html) => plain(new DOMParser().parseFromString(html, "text/html").body);
  window.nqPlain = plainFromHtml;

  // Copy: the chat's copy button hands over the message's HTML; the clipboard gets its plain text.
  if (navigator.clipboard && navigator.clipboard.writeText) {
    const write = navigator.clipboard.writeText.bind(navigator.clipboard);
    navigator.clipboard.writeText = (text) => write(/class="nq-/.test(String(text)) ? plainFromHtml(text) : text);
  }

  const ZH = {
    "Copy message": "复制", "Copied message": "已复制", "Copy": "复制", "Copied!": "已复制",
    "chatbot conversation": "问答记录", "Clear": "清空对话", "Retry": "重试", "Undo": "撤销",
    "Like": "有用", "Dislike": "没用", "Close": "关闭", "Error": "提示", "Loading content": "正在加载",
    "Scroll down": "到最新", "Edit": "编辑", "Share": "分享", "More tabs": "更多标签页",
    "Gradio footer navigation": "页脚导航", "Loading...": "加载中", "Settings": "设置",
  };
  // Gradio picks its own words from the browser's language when it starts; in an en-US browser these stay.
  const ZH_TEXT = { "Use via API": "通过 API 使用", "Settings": "设置", "Built with Gradio": "", "Loading...": "加载中…",
    "Copy": "复制", "Copied!": "已复制" };
  const translate = (root) => {
    if (!root || !root.ownerDocument) { return; }
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const key = n.nodeValue.trim();
      if (key && Object.prototype.hasOwnProperty.call(ZH_TEXT, key)) { n.nodeValue = ZH_TEXT[key]; }
    }
  };
  const relabel = () => {
    for (const el of $$("[aria-label], [title]")) {
      for (const a of ["aria-label", "title"]) {
        const v = el.getAttribute(a);
        if (v && ZH[v.trim()] && ZH[v.trim()] !== v) { el.setAttribute(a, ZH[v.trim()]); }
      }
    }
    for (const el of $$('#nq-chat [data-testid="bot"], #nq-chat [data-testid="user"]')) {
      const who = el.getAttribute("data-testid") === "bot" ? "回答：" : "提问：";
      const body = el.querySelector(".message-content") || el;
      const name = (who + plain(body).replace(/\n+/g, " ")).slice(0, 600);
      if (el.getAttribute("aria-label") !== name) { el.setAttribute("aria-label", name); }
    }
  };

  // Land on the top of each new answer; show the pending bubble as it appears.
  const scroller = (el) => {
    for (let n = el.parentElement; n; n = n.parentElement) {
      const oy = getComputedStyle(n).overflowY;
      if ((oy === "auto" || oy === "scroll") && n.scrollHeight > n.clientHeight + 1) { return n; }
    }
    return null;
  };
  let seen = "";
  const land = () => {
    const bots = $$('#nq-chat [data-testid="bot"]');
    const last = bots[bots.length - 1];
    if (!last) { seen = ""; return; }
    const pending = !!last.querySelector(".nq-pending");
    const sig = bots.length + (pending ? ":pending:" : ":") + (last.textContent || "").slice(0, 300);
    if (sig === seen) { return; }
    seen = sig;
    const row = last.closest(".message-row") || last;
    const s = scroller(row);
    if (!s) { return; }
    if (pending) {
      s.scrollTop = s.scrollHeight;
    } else {
      s.scrollTop += row.getBoundingClientRect().top - s.getBoundingClientRect().top - 8;
    }
  };

  // A full queue: a calm notice in Chinese, the pending bubble says so, the question goes back in the box.
  const setBox = (value) => {
    const b = box();
    if (!b) { return; }
    Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, "value").set.call(b, value);
    b.dispatchEvent(new Event("input", { bubbles: true }));
  };
  const busyText = "This application is currently busy";
  const onBusy = () => {
    const pend = $$("#nq-chat .nq-pending").pop();
    if (pend && !pend.classList.contains("nq-busy")) {
      pend.classList.add("nq-busy");
      pend.lastChild.nodeValue = cfg.busy + "。您的问题已放回输入框，请稍后再提问。";
      const users = $$('#nq-chat [data-testid="user"]');
      const q = users.length ? plain(users[users.length - 1].querySelector(".message-content") || users[users.length - 1]) : "";
      const b = box();
      if (q && b && !b.value.trim()) { setBox(q); }
    }
  };
  const fixBusy = (root) => {
    if (!root || !root.ownerDocument) { return; }
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const hits = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.nodeValue.includes(busyText)) { hits.push(n); }
    }
    for (const n of hits) {
      n.nodeValue = cfg.busy + "。";
      const toast = n.parentElement && n.parentElement.closest(".toast-body");
      if (toast) {
        toast.classList.add("nq-notice");
        const tw = document.createTreeWalker(toast, NodeFilter.SHOW_TEXT);
        for (let t = tw.nextNode(); t; t = tw.nextNode()) {
          if (t.nodeValue.trim() === "Error") { t.nodeValue = "提示"; }
        }
      }
      onBusy();
    }
  };

  // The matrix: a cell's task and role on tap or keyboard focus, in a line above the grid.
  const showDetail = (e) => {
    const cell = e.target.closest && e.target.closest("#nq-matrix [data-detail]");
    const out = $("#nq-matrix .nq-matrix-detail");
    if (cell && out) { out.textContent = cell.getAttribute("data-detail"); }
  };
  document.addEventListener("focusin", showDetail, true);
  document.addEventListener("click", showDetail, true);

  let scheduled = false;
  const pass = () => { scheduled = false; relabel(); land(); translate(document.body); };
  new MutationObserver((records) => {
    for (const r of records) {
      for (const node of r.addedNodes) { fixBusy(node.nodeType === 3 ? node.parentNode : node); }
      if (r.type === "characterData") { fixBusy(r.target.parentNode); }
    }
    if (!scheduled) { scheduled = true; requestAnimationFrame(pass); }
  }).observe(document.documentElement, {
    childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ["aria-label", "title"],
  });

  if (!cfg.kiosk) { return; }

  // Kiosk: clear after idleMs without activity; typing by input method counts; never while text is in the box.
  let last = Date.now();
  let composing = false;
  const touch = () => { last = Date.now(); };
  for (const ev of ["keydown", "beforeinput", "input", "compositionstart", "compositionupdate", "compositionend",
    "pointerdown", "touchstart", "wheel", "scroll", "focusin"]) {
    document.addEventListener(ev, touch, { capture: true, passive: true });
  }
  document.addEventListener("compositionstart", () => { composing = true; }, true);
  document.addEventListener("compositionend", () => { composing = false; }, true);
  window.nqIdle = () => Date.now() - last;
  setInterval(() => {
    const b = box();
    if (composing || (b && b.value.trim() !== "")) { touch(); return; }
    if ($("#nq-chat .nq-pending:not(.nq-busy)")) { touch(); return; }
    const chat = $$('#nq-chat [data-testid="bot"], #nq-chat [data-testid="user"]').length > 0;
    if (chat && Date.now() - last >= cfg.idleMs) {
      const clear = $("#nq-clear");
      if (clear) { clear.click(); }
      if (window.speechSynthesis) { window.speechSynthesis.cancel(); }
      touch();
    }
  }, 1000);

  // Read aloud: the latest direct answer, with a zh voice of the device; hidden where there is none.
  if (!("speechSynthesis" in window)) { return; }
  const voice = () => {
    const voices = window.speechSynthesis.getVoices();
    return voices.find((v) => /^zh[-_]CN/i.test(v.lang)) || voices.find((v) => /^(zh|cmn)/i.test(v.lang));
  };
  // A style of our own, not a class on <body>: Gradio owns the page's elements and may rewrite them.
  const refresh = () => {
    let style = document.getElementById("nq-can-speak");
    if (voice() && !style) {
      style = document.createElement("style");
      style.id = "nq-can-speak";
      style.textContent = "#nq-read { display: block !important; }";
      document.head.appendChild(style);
    } else if (!voice() && style) {
      style.remove();
    }
  };
  window.speechSynthesis.addEventListener("voiceschanged", refresh);
  document.addEventListener("DOMContentLoaded", refresh);
  setTimeout(refresh, 500);
  setTimeout(refresh, 3000);
  document.addEventListener("click", (e) => {
    if (!(e.target.closest && e.target.closest("#nq-read"))) { return; }
    const answer = $$("#nq-chat .nq-direct").pop();
    const v = voice();
    if (!answer || !v) { return; }
    window.speechSynthesis.cancel();
    const u = new SpeechSynthesisUtterance(answer.textContent.trim());
    u.lang = v.lang;
    try { u.voice = v; } catch (err) { /* the language alone picks a voice */ }
    window.speechSynthesis.speak(u);
  }, true);
})();
</script>
"""


def page_script(*, kiosk: bool, idle_seconds: float, busy: str) -> str:
    """The head script, configured for this app."""
    config = {"kiosk": kiosk, "idleMs": int(idle_seconds * 1000), "busy": busy}
    return _SCRIPT.replace("__CONFIG__", json.dumps(config, ensure_ascii=False))
