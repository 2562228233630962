// A label you can edit in place: a button showing the value, which turns into a small form (text field,
// Save, Cancel) when pressed. Used for your display name and the room's name. Enter saves, Escape
// cancels; a refusal keeps the form open and shows the server's own words.

export class InlineEdit {
  /**
   * `root` holds `.inline-view` (the button, with a `.inline-value` inside), `.inline-form`,
   * `.inline-input` and `.inline-error`. `save(text)` stores the new value and throws an Error whose
   * message is shown when it cannot; `placeholder` shows while the value is empty.
   */
  constructor(root, { save, placeholder = '' }) {
    this.save = save;
    this.placeholder = placeholder;
    this.value = '';
    this.view = root.querySelector('.inline-view');
    this.label = root.querySelector('.inline-value');
    this.form = root.querySelector('.inline-form');
    this.input = root.querySelector('.inline-input');
    this.error = root.querySelector('.inline-error');
    this.busy = false;

    this.view.addEventListener('click', () => this.open());
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.commit();
    });
    this.form.querySelector('.inline-cancel')?.addEventListener('click', () => this.close());
    this.form.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        this.close();
      }
    });
  }

  /** Shows `value` (a name, or '' / null for none). */
  set(value) {
    this.value = value || '';
    this.label.textContent = this.value || this.placeholder;
    this.label.classList.toggle('is-empty', !this.value);
  }

  get editing() {
    return !this.form.hidden;
  }

  open() {
    this.input.value = this.value;
    this.error.textContent = '';
    this.view.hidden = true;
    this.form.hidden = false;
    this.input.focus();
    this.input.select();
  }

  close() {
    this.form.hidden = true;
    this.view.hidden = false;
    this.error.textContent = '';
    this.view.focus();
  }

  async commit() {
    if (this.busy) return;
    this.busy = true;
    this.form.setAttribute('aria-busy', 'true');
    try {
      const saved = await this.save(this.input.value);
      this.set(saved);
      this.close();
    } catch (error) {
      this.error.textContent = error.message;
      this.input.focus();
    } finally {
      this.busy = false;
      this.form.removeAttribute('aria-busy');
    }
  }
}
