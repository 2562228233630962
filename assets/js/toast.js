// Short notices in the corner. Text goes in with textContent: names and file names come from users.

const MAX_VISIBLE = 4;

export function toast(text, kind = 'info', ms = 4000) {
  const box = document.getElementById('toasts');
  if (!box) return;
  const item = document.createElement('div');
  item.className = `toast toast-${kind}`;
  item.textContent = text;
  box.append(item);
  while (box.children.length > MAX_VISIBLE) box.firstElementChild.remove();
  setTimeout(() => item.remove(), kind === 'error' ? ms * 2 : ms);
}
