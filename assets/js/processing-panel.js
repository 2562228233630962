// The "Making playable" list under the upload panel: each upload the server converts, its progress,
// a Cancel button for those who may (uploader, host, owner) and, when it fails, why. Jobs and the
// texts are processing.js's; room.js hands it snapshots and `processing` messages.

import { api } from './http.js';
import { toast } from './toast.js';
import { Jobs, isOver, mayCancel, statusText } from './processing.js';

/** A finished job's row stays this long (a failure until dismissed). */
const KEEP_DONE_MS = 8000;

export function setupProcessing({ roomApi, store }) {
  const list = document.getElementById('processing-list');
  const jobs = new Jobs();

  function render() {
    const rows = jobs.list().map(row);
    list.replaceChildren(...rows);
    list.hidden = rows.length === 0;
  }

  function row(job) {
    const item = document.createElement('li');
    item.className = 'processing-row';
    item.dataset.state = job.state;
    item.dataset.job = String(job.job);
    const head = document.createElement('div');
    head.className = 'upload-head';
    const name = document.createElement('span');
    name.className = 'upload-name';
    name.textContent = job.name;
    head.append(name);
    if (mayCancel(job, { me: store.me, host: store.host, owner: store.owner })) {
      head.append(button('Cancel', () => cancel(job)));
    } else if (job.state === 'failed') {
      head.append(button('Dismiss', () => { jobs.forget(job.job); render(); }));
    }
    const progress = document.createElement('progress');
    progress.max = 100;
    progress.value = job.state === 'ready' ? 100 : job.percent;
    progress.setAttribute('aria-label', `Conversion progress of ${job.name}`);
    const status = document.createElement('p');
    status.className = job.state === 'failed' ? 'upload-error' : 'processing-status';
    status.textContent = statusText(job);
    item.append(head, progress, status);
    return item;
  }

  function button(text, onClick) {
    const node = document.createElement('button');
    node.type = 'button';
    node.className = 'button small';
    node.textContent = text;
    node.addEventListener('click', onClick);
    return node;
  }

  async function cancel(job) {
    try {
      await api('DELETE', `${roomApi}/processing/${job.job}`);
    } catch (error) {
      toast(error.message, 'error');
    }
  }

  function update(job) {
    jobs.update(job);
    if (job.state === 'failed') toast(`${job.name} could not be made playable: ${job.reason}`, 'error');
    if (isOver(job) && job.state !== 'failed') {
      setTimeout(() => {
        if (jobs.byId.get(job.job)?.state === job.state) {
          jobs.forget(job.job);
          render();
        }
      }, KEEP_DONE_MS);
    }
    render();
  }

  // Who may cancel follows the host and the owner.
  store.on('change', render);

  return {
    show(list) {
      jobs.reset(list);
      render();
    },
    update,
  };
}
