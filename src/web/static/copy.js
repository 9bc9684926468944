// Copy buttons: a `<button data-copy="<input id>" hidden>` beside a read-only input becomes
// visible and copies that input's value. Without scripts (or clipboard access) the button stays
// hidden and the value is there to select by hand.
for (const button of document.querySelectorAll('button[data-copy]')) {
  const input = document.getElementById(button.dataset.copy);
  const status = document.querySelector(`[data-copied-for="${button.dataset.copy}"]`);
  if (!input || !window.navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener('click', async () => {
    try {
      await window.navigator.clipboard.writeText(input.value);
      if (status) status.textContent = 'Copied.';
    } catch {
      input.select();
      if (status) status.textContent = 'Select the link and copy it.';
    }
  });
}
