import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

/**
 * A confirmation as a modal <dialog>: while it is open the rest of the page is inert, Tab and
 * Shift+Tab cycle through its controls (the browser alone would let focus leave for its own
 * toolbar), Escape cancels, and when it closes focus goes back to the control that opened it
 * (returnTo), which a screen reader then reads.
 */
export function ConfirmDialog({ open, title, confirm, onConfirm, onClose, returnTo, busy, children }: {
  open: boolean;
  title: string;
  confirm: string;
  onConfirm: () => void;
  onClose: () => void;
  returnTo: HTMLElement | null;
  busy: boolean;
  children: ComponentChildren;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) {
      d.showModal();
      // The safe choice first: Enter on an opened confirmation must not delete.
      cancel.current?.focus();
    } else if (!open && d.open) {
      d.close();
    }
  }, [open]);

  /** Keeps Tab within the dialog: from its last control to its first, and back with Shift. */
  function trap(event: KeyboardEvent) {
    if (event.key !== "Tab" || !dialog.current) return;
    const controls = Array.from(dialog.current.querySelectorAll<HTMLElement>("button:not([disabled]), a[href], input:not([disabled])"));
    if (controls.length === 0) return;
    const [first, last] = [controls[0], controls[controls.length - 1]];
    if (event.shiftKey ? document.activeElement === first : document.activeElement === last) {
      event.preventDefault();
      (event.shiftKey ? last : first).focus();
    }
  }

  function closed() {
    onClose();
    returnTo?.focus();
  }

  return (
    <dialog ref={dialog} class="dialog" aria-labelledby="dialog-title" aria-describedby="dialog-body" onClose={closed} onKeyDown={trap}>
      <h2 id="dialog-title">{title}</h2>
      <div id="dialog-body">{children}</div>
      <div class="actions">
        <button type="button" ref={cancel} class="secondary" onClick={() => dialog.current?.close()} disabled={busy}>Cancel</button>
        <button type="button" class="danger" onClick={onConfirm} disabled={busy}>{confirm}</button>
      </div>
    </dialog>
  );
}
