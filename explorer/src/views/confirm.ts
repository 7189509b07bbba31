/**
 * A confirmation in a modal <dialog> (keyboard: focus moves in, Esc cancels). Resolves true on confirm.
 */
export function confirmDialog(title: string, text: string, confirmLabel: string): Promise<boolean> {
  const dialog = document.createElement('dialog');
  dialog.className = 'confirm';
  dialog.setAttribute('aria-labelledby', 'confirm-title');
  const heading = document.createElement('h2');
  heading.id = 'confirm-title';
  heading.textContent = title;
  const body = document.createElement('p');
  body.textContent = text;
  const actions = document.createElement('div');
  actions.className = 'actions';
  const cancel = document.createElement('button');
  cancel.type = 'button';
  cancel.textContent = 'Cancel';
  const ok = document.createElement('button');
  ok.type = 'button';
  ok.className = 'primary danger';
  ok.textContent = confirmLabel;
  actions.append(cancel, ok);
  dialog.append(heading, body, actions);
  document.body.append(dialog);
  return new Promise((resolve) => {
    const done = (answer: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    cancel.addEventListener('click', () => done(false));
    ok.addEventListener('click', () => done(true));
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      done(false);
    });
    dialog.showModal();
    cancel.focus();
  });
}
