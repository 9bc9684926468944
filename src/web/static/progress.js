// Follows a server's start over server-sent events (JupyterHub's progress stream): moves the
// bar, lists each plain-language step as it happens, shows the time so far, and opens the
// server when it is ready. On failure it reveals the explanation the page already holds.
const root = document.getElementById('progress');
if (root) {
  const bar = document.getElementById('bar');
  const steps = document.getElementById('steps');
  const elapsed = document.getElementById('elapsed');
  const failure = document.getElementById('failure');
  const cancel = document.getElementById('cancel-form');
  const started = Date.now();
  let last = '';

  const tick = () => {
    const s = Math.round((Date.now() - started) / 1000);
    elapsed.textContent = s > 0 ? ` ${s} s so far.` : '';
  };
  const timer = window.setInterval(tick, 1000);

  const step = (message) => {
    if (!message || message === last) return;
    last = message;
    for (const li of steps.querySelectorAll('li')) {
      li.classList.remove('current');
      li.classList.add('done');
    }
    const li = document.createElement('li');
    li.className = 'step current';
    li.textContent = message;
    steps.append(li);
  };

  const source = new EventSource(root.dataset.events);
  source.onmessage = (e) => {
    const event = JSON.parse(e.data);
    if (typeof event.progress === 'number') bar.value = event.progress;
    if (event.failed) {
      source.close();
      window.clearInterval(timer);
      root.classList.add('failed');
      steps.querySelector('li.current')?.classList.add('failed');
      document.getElementById('failure-message').textContent = event.message;
      if (event.detail) {
        const detail = document.getElementById('failure-detail');
        detail.hidden = false;
        detail.querySelector('pre').textContent = event.detail;
      }
      if (cancel) cancel.hidden = true;
      failure.hidden = false;
      failure.querySelector('a')?.focus();
      return;
    }
    step(event.message);
    if (event.ready) {
      source.close();
      window.clearInterval(timer);
      if (cancel) cancel.hidden = true;
      for (const li of steps.querySelectorAll('li')) li.classList.add('done');
      window.location.assign(root.dataset.next);
    }
  };
  // The stream ends after ready/failed; an error before that (hub restarted, network) is
  // retried by EventSource itself. A stream that ends with neither means the start was
  // stopped elsewhere: go back home, which shows the current state.
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) window.location.assign('/hub/home');
  };
}
