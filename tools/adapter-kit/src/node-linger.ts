// Lingering close (as nginx's `lingering_close`), the second of the adapters' guarded uses of a Node internal.
//
// A response written before the request body has arrived goes out with `Connection: close` (header-plan.ts, rule 4),
// and Node then ends the connection with `socket.destroySoon()`: a FIN after the answer, and the descriptor closed as
// soon as that is flushed. A client still uploading keeps sending into a closed socket, and the kernel answers with a
// reset, which can reach the client before it has read the answer (undici then reports EPIPE, not the 413). So for
// such a connection the close waits: after the FIN, what the client still sends is read and dropped (Node's parser
// dumps a body nobody reads), until the client ends its side, LINGER_BYTES more have arrived, or LINGER_MS have
// passed; then the socket is destroyed. A body nobody reads is still never read to its end.
//
// `destroySoon` is not a documented method of net.Socket, so this is guarded: it replaces the method of one socket,
// only when the socket has one (else Node closes as before: nothing is lost but the linger), and the conformance
// suite checks the answer arrives intact on Node 20, 22 and 24.

/** At most this long (ms) between the answer's FIN and the close. */
export const LINGER_MS: number = 2_000;
/** At most this many bytes read and dropped after the answer before the close. */
export const LINGER_BYTES: number = 4 * 1024 * 1024;

/** The parts of Node's net.Socket used here. */
interface LingerSocket {
  readonly destroyed: boolean;
  readonly writable: boolean;
  readonly bytesRead: number;
  readonly readableEnded: boolean;
  destroySoon?: (() => void) | undefined;
  end(): unknown;
  destroy(): unknown;
  once(event: 'end' | 'close', listener: () => void): unknown;
}

const armed = new WeakSet<object>();

/**
 * Makes Node's close of `socket` after a `Connection: close` answer a lingering one (see above). Call it when such an
 * answer's head is written; a socket without `destroySoon` (not Node's) is left alone. Returns whether it was armed.
 */
export function lingerOnClose(socket: LingerSocket | null | undefined): boolean {
  if (socket === null || socket === undefined || socket.destroyed || typeof socket.destroySoon !== 'function')
    return false;
  if (armed.has(socket)) return true;
  armed.add(socket);
  socket.destroySoon = function lingeringDestroySoon(this: LingerSocket): void {
    // what Node's destroySoon does first: the FIN once the answer is flushed
    if (this.writable) this.end();
    const from = this.bytesRead;
    const stop = (): void => {
      clearTimeout(timer);
      clearInterval(watch);
      if (!this.destroyed) this.destroy();
    };
    const timer = setTimeout(stop, LINGER_MS);
    const watch = setInterval(() => {
      if (this.bytesRead - from > LINGER_BYTES) stop();
    }, 25);
    // the socket itself keeps the process up while it lingers; the timers need not
    timer.unref?.();
    watch.unref?.();
    if (this.readableEnded) stop();
    else {
      this.once('end', stop);
      this.once('close', stop);
    }
  };
  return true;
}
