// Sortable tables (table.sortable): each column header becomes a button; cells sort by their
// data-sort value when they have one (numbers), else by their text. aria-sort says the order.
'use strict';
document.addEventListener('DOMContentLoaded', () => {
  document.querySelectorAll('table.sortable').forEach((table) => {
    const heads = Array.from(table.tHead.rows[0].cells);
    heads.forEach((th, col) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'sort';
      button.textContent = th.textContent;
      th.textContent = '';
      th.appendChild(button);
      button.addEventListener('click', () => {
        const ascending = th.getAttribute('aria-sort') !== 'ascending';
        heads.forEach((h) => h.removeAttribute('aria-sort'));
        th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        const body = table.tBodies[0];
        const rows = Array.from(body.rows);
        const key = (row) => {
          const cell = row.cells[col];
          const v = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
          const n = Number(v);
          return v !== '' && !Number.isNaN(n) ? n : v.toLowerCase();
        };
        rows.sort((a, b) => {
          const x = key(a), y = key(b);
          const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
          return ascending ? c : -c;
        });
        rows.forEach((r) => body.appendChild(r));
      });
    });
  });
});
