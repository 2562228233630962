// Uploads being made playable, without the DOM (tested with node --test): the jobs a room runs, kept
// from the snapshot and `processing` messages, and what a row shows.

/** The jobs by ID, oldest first; a finished job stays (with its end) until dismissed or replaced. */
export class Jobs {
  constructor() {
    this.byId = new Map();
  }

  /** The snapshot's running jobs replace what we knew (finished ones we still show stay). */
  reset(list) {
    for (const [id, job] of this.byId) if (!isOver(job)) this.byId.delete(id);
    for (const job of Array.isArray(list) ? list : []) this.byId.set(job.job, job);
  }

  /** A `processing` message. */
  update(job) {
    this.byId.set(job.job, job);
  }

  forget(id) {
    this.byId.delete(id);
  }

  list() {
    return [...this.byId.values()].sort((a, b) => a.job - b.job);
  }
}

export function isOver(job) {
  return job.state === 'ready' || job.state === 'failed' || job.state === 'cancelled';
}

/** Whether `me` may cancel `job`: its uploader, the host or the owner, while it runs. */
export function mayCancel(job, { me, host, owner }) {
  if (isOver(job)) return false;
  return job.by === me || (me != null && (me === host || me === owner));
}

/** The line under a job's name. */
export function statusText(job) {
  const doing = job.kind === 'remux' ? 'Repackaging as MP4' : 'Converting to H.264/AAC';
  const then = job.queue ? 'then it joins the queue' : 'then it plays';
  switch (job.state) {
    case 'queued':
      return `Waiting for another conversion to finish; ${then}`;
    case 'progress':
      return `${doing}: ${Math.floor(job.percent)} %; ${then}`;
    case 'ready':
      return job.queue ? 'Ready: added to the queue' : 'Ready: now playing';
    case 'failed':
      return `Failed: ${job.reason || 'no reason given'}`;
    case 'cancelled':
      return 'Cancelled';
    default:
      return '';
  }
}
