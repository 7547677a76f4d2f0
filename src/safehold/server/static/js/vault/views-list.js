// The list: every item with its type, title and a subtitle; search as the CLI searches
// (never inside hidden values, items.js searchText); filters by type, tag, favourites and
// conflict copies. Long lists are drawn a page at a time so 10,000 items stay quick.

import { clear, h, vaultText, visible } from "./dom.js";
import { isConflictCopy, subtitle } from "./items.js";

const PAGE = 100;

export class ListView {
  constructor(app, { filters, list }) {
    this.app = app;
    this.filtersEl = filters;
    this.listEl = list;
    this.query = "";
    this.type = "";
    this.tag = "";
    this.favorites = false;
    this.conflictsOnly = false;
    this.limit = PAGE;
    this.sorted = [];
    this.selected = null;
  }

  /** Re-read the vault (after a sync or a save): sort once, then draw. */
  refresh() {
    const entries = this.app.vault.visible();
    const key = (e) => (e.view?.item?.title ?? "").toLowerCase();
    this.sorted = entries.map((e) => [key(e), e]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((p) => p[1]);
    this.drawFilters();
    this.draw();
  }

  matching() {
    const q = this.query.toLowerCase();
    return this.sorted.filter((e) => {
      const v = e.view;
      if (!v.item) return !q && !this.type && !this.tag && !this.favorites && !this.conflictsOnly;
      if (this.type && v.item.type !== this.type) return false;
      if (this.tag && !v.item.tags.includes(this.tag)) return false;
      if (this.favorites && !v.item.favorite) return false;
      if (this.conflictsOnly && !isConflictCopy(v.item)) return false;
      return !q || v.search.includes(q);
    });
  }

  setQuery(q) {
    this.query = q;
    this.limit = PAGE;
    this.draw();
  }

  drawFilters() {
    const types = new Map();
    const tags = new Set();
    for (const e of this.sorted) {
      if (!e.view.item) continue;
      types.set(e.view.item.type, e.view.template.label);
      for (const t of e.view.item.tags) tags.add(t);
    }
    const select = (label, id, value, options, onChange) =>
      h(
        "div",
        { class: "field" },
        h("label", { for: id }, label),
        h(
          "select",
          { id, onChange: (ev) => onChange(ev.target.value) },
          options.map(([v, text]) => h("option", { value: v, selected: v === value }, visible(text))),
        ),
      );
    const check = (label, id, value, onChange) =>
      h("label", { class: "check", for: id }, h("input", { id, type: "checkbox", checked: value, onChange: (ev) => onChange(ev.target.checked) }), label);
    clear(this.filtersEl).append(
      select("Filter by type", "filter-type", this.type, [["", "All types"], ...[...types].sort((a, b) => a[1].localeCompare(b[1]))], (v) => {
        this.type = v;
        this.limit = PAGE;
        this.draw();
      }),
      select("Filter by tag", "filter-tag", this.tag, [["", "All tags"], ...[...tags].sort().map((t) => [t, t])], (v) => {
        this.tag = v;
        this.limit = PAGE;
        this.draw();
      }),
      check("Favourites only", "filter-fav", this.favorites, (v) => {
        this.favorites = v;
        this.draw();
      }),
      check("Conflict copies only", "filter-conflicts", this.conflictsOnly, (v) => {
        this.conflictsOnly = v;
        this.draw();
      }),
    );
  }

  draw() {
    const shown = this.matching();
    const rows = shown.slice(0, this.limit).map((e) => this.cachedRow(e));
    const total = this.sorted.length;
    const count = h(
      "p",
      { class: "hint list-count", role: "status", "aria-live": "polite", dataset: { testid: "list-count" } },
      shown.length === total ? `${total} item${total === 1 ? "" : "s"}` : `${shown.length} of ${total} items`,
    );
    const more =
      shown.length > this.limit
        ? h(
            "button",
            {
              type: "button",
              class: "secondary",
              onClick: () => {
                this.limit += PAGE * 5;
                this.draw();
              },
            },
            `Show more (${shown.length - this.limit} more)`,
          )
        : null;
    clear(this.listEl).append(count, h("ul", { class: "items", dataset: { testid: "items" } }, rows), more ?? "");
    if (!shown.length) this.listEl.append(h("p", { class: "hint" }, total ? "No item matches." : "The vault is empty. Add an item with New item."));
  }

  /** The row of `entry`, made once per version of the item (a keystroke reuses rows). */
  cachedRow(entry) {
    this.rows ??= new WeakMap();
    const key = `${this.selected === entry.id}|${entry.dirty}`;
    const hit = this.rows.get(entry.view);
    if (hit && hit.key === key) return hit.el;
    const el = this.row(entry);
    this.rows.set(entry.view, { key, el });
    return el;
  }

  row(entry) {
    const v = entry.view;
    if (!v.item) {
      return h("li", { class: "row broken" }, h("span", { class: "badge" }, "Unreadable"), " ", `item ${entry.id.slice(0, 8)}… cannot be read: ${v.error}`);
    }
    const item = v.item;
    const current = this.selected === entry.id;
    return h(
      "li",
      {},
      h(
        "button",
        {
          type: "button",
          class: `row${current ? " current" : ""}`,
          "aria-current": current ? "true" : null,
          dataset: { testid: "item-row", id: entry.id, type: item.type },
          onClick: () => this.app.showItem(entry.id),
        },
        h("span", { class: `badge type-${item.type.replace(/[^a-z_]/g, "")}` }, visible(v.template.label)),
        h("span", { class: "row-text" }, vaultText(item.title || "(no title)", "strong"), h("span", { class: "subtitle" }, vaultText(subtitle(item, v.template)))),
        item.favorite ? h("span", { class: "fav", title: "Favourite", "aria-label": "Favourite" }, "★") : null,
        isConflictCopy(item) ? h("span", { class: "badge conflict", dataset: { testid: "conflict-mark" } }, "Conflict copy") : null,
        entry.dirty ? h("span", { class: "badge pending", title: "Not yet on the server" }, "Unsynced") : null,
      ),
    );
  }
}
