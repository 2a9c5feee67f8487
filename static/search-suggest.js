// Suggestions under the search box as a buyer types (after two letters): products,
// categories and shops from /search/saran. The WAI-ARIA combobox pattern: the input owns
// a listbox, arrows move the active option (aria-activedescendant), Enter opens it, Escape
// closes the list; a polite status tells screen readers how many there are. Without this
// script (or when a request fails) the box is the plain search form it always was.
"use strict";
(function () {
  const form = document.querySelector("form.search");
  const input = form && form.querySelector("input[name=q]");
  if (!input || !window.fetch || !form.dataset.suggest) return;
  const labels = JSON.parse(form.dataset.suggestLabels);
  const list = document.createElement("ul");
  const status = document.createElement("p");
  list.id = "q-suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", labels.list);
  list.className = "suggestions";
  list.hidden = true;
  status.className = "visually-hidden";
  // A polite live region, not role=status: the page's own messages keep that role.
  status.setAttribute("aria-live", "polite");
  status.setAttribute("aria-atomic", "true");
  form.append(list, status);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("autocomplete", "off");
  let options = [];
  let active = -1;
  let pending = null;
  let timer = 0;

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    options.forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
    active = index;
    if (index < 0) {
      input.removeAttribute("aria-activedescendant");
    } else {
      input.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    }
  }

  function option(item, kind, index) {
    const li = document.createElement("li");
    li.id = "q-suggestion-" + index;
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", "false");
    li.dataset.url = item.url;
    const name = document.createElement("span");
    name.textContent = item.name;
    const what = document.createElement("span");
    what.className = "suggestion-kind";
    what.textContent = labels[kind];
    li.append(name, " ", what);
    li.addEventListener("mousedown", (event) => event.preventDefault());
    li.addEventListener("click", () => { window.location.href = item.url; });
    return li;
  }

  function show(answer) {
    list.replaceChildren();
    options = [];
    for (const kind of ["products", "categories", "shops"]) {
      for (const item of answer[kind]) {
        options.push(option(item, kind, options.length));
      }
    }
    if (!options.length) {
      status.textContent = labels.none;
      close();
      return;
    }
    list.append(...options);
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    status.textContent = options.length + " " + labels.count;
    highlight(-1);
  }

  async function ask(query) {
    if (pending) pending.abort();
    pending = new AbortController();
    try {
      const response = await fetch(form.dataset.suggest + "?q=" + encodeURIComponent(query), {
        signal: pending.signal,
        headers: { Accept: "application/json" },
      });
      if (!response.ok) return close();
      const answer = await response.json();
      if (answer.query === input.value.trim()) show(answer);
    } catch (failure) {
      if (failure.name !== "AbortError") close();
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    const query = input.value.trim();
    if (query.replace(/[^0-9a-z]/gi, "").length < 2) return close();
    timer = setTimeout(() => ask(query), 150);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" && options.length) {
      event.preventDefault();
      if (list.hidden) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
      highlight((active + 1) % options.length);
    } else if (event.key === "ArrowUp" && options.length && !list.hidden) {
      event.preventDefault();
      highlight(active <= 0 ? options.length - 1 : active - 1);
    } else if (event.key === "Enter" && active >= 0 && !list.hidden) {
      event.preventDefault();
      window.location.href = options[active].dataset.url;
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 100));
})();
