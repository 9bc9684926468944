// Follows a server's start over server-sent events and opens it when ready.
const root = document.getElementById('progress');
if (root) {
  const bar = root.querySelector('progress');
  const text = root.querySelector('.message');
  const detail = root.querySelector('.detail');
  const source = new EventSource(root.dataset.events);
  source.onmessage = (e) => {
    const event = JSON.parse(e.data);
    bar.value = event.progress;
    text.textContent = event.message;
    if (event.ready) {
      source.close();
      window.location.assign(root.dataset.next);
    } else if (event.failed) {
      source.close();
      root.classList.add('failed');
      if (event.detail) {
        detail.hidden = false;
        detail.querySelector('pre').textContent = event.detail;
      }
      document.getElementById('retry').hidden = false;
    }
  };
}
