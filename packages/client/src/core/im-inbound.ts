import { ImError, imErrorTypes } from './im-errors.js';
import type { ImOutbox } from './im-outbox.js';
import type { ImSender } from './im-sender.js';
import type { ImEvents, ImStats } from './im-types.js';
import { clientFrames, type ImFrame, imCodes, imFrameTypes, parseContent } from './im-wire.js';

export interface InboundContext {
  /** This user's id. */
  me(): string;
  /** Writes a frame on the logged-in link. */
  send(text: string): boolean;
  outbox: ImOutbox;
  sender: ImSender;
  stats: ImStats;
  dedupeSize: number;
  dispatch<K extends keyof ImEvents & string>(event: K, payload: ImEvents[K]): void;
}

const num = (value: unknown) => (typeof value === 'number' ? value : -1);
const conversationOf = (a: string, b: string) => (a < b ? `c:${a}|${b}` : `c:${b}|${a}`);

/**
 * What the server sends on a logged-in link, besides the connection's own frames: messages
 * (acknowledged at once, told once), ACKs of ours, receipts and errors. A frame it cannot use is
 * counted in `stats.badFrames` and ignored.
 */
export class ImInbound {
  /** Received message ids, oldest first, at most `dedupeSize`. */
  readonly #seen = new Set<string>();
  readonly #context: InboundContext;

  constructor(context: InboundContext) {
    this.#context = context;
  }

  handle(frame: ImFrame): void {
    if (!this.#handled(frame)) this.#context.stats.badFrames += 1;
  }

  #handled(frame: ImFrame): boolean {
    const { dispatch } = this.#context;
    const content = () => parseContent(frame) ?? {};
    switch (frame.type) {
      case imFrameTypes.data:
        return this.#message(frame);
      case imFrameTypes.ack:
        return this.#ack(frame);
      case imFrameTypes.delivered: {
        const { fp, by, device } = content();
        if (typeof fp !== 'string' || typeof by !== 'string') return false;
        dispatch('delivered', { fp, by, device: typeof device === 'string' ? device : 'default' });
        return true;
      }
      case imFrameTypes.read: {
        const { conv, seq, by } = content();
        if (typeof conv !== 'string' || typeof seq !== 'number' || typeof by !== 'string') return false;
        dispatch('read', { conv, seq, by });
        return true;
      }
      case imFrameTypes.error: {
        const { errorCode, errorMsg, retryAfterMs } = content();
        if (typeof errorCode !== 'number') return false;
        // Hutong names the message in `fp`; older servers put it in `errorMsg`.
        const named = typeof frame.fp === 'string' ? frame.fp : typeof errorMsg === 'string' ? errorMsg : '';
        const wait = typeof retryAfterMs === 'number' && retryAfterMs > 0 ? retryAfterMs : undefined;
        this.#error(errorCode, named, typeof errorMsg === 'string' ? errorMsg : '', wait);
        return true;
      }
      case imFrameTypes.echoResponse:
        return true;
      default:
        return false;
    }
  }

  /** Type 2: acknowledged at once (again for a repeat, whose first ACK may have been lost), told once. */
  #message(frame: ImFrame): boolean {
    const { from, fp } = frame;
    const { stats } = this.#context;
    const me = this.#context.me();
    if (typeof from !== 'string' || typeof fp !== 'string' || !fp) return false;
    this.#context.send(clientFrames.ack(me, from, fp));
    const sid = num(frame.sid);
    const key = sid >= 0 ? `#${sid}` : `${from}\u0000${fp}`;
    if (this.#seen.has(key)) {
      stats.duplicates += 1;
      return true;
    }
    this.#seen.add(key);
    if (this.#seen.size > this.#context.dedupeSize)
      this.#seen.delete(this.#seen.values().next().value as string);
    stats.received += 1;
    const group = typeof frame.group === 'string' ? frame.group : undefined;
    this.#context.dispatch('message', {
      sid,
      seq: num(frame.seq),
      conv: typeof frame.conv === 'string' ? frame.conv : group ? `g:${group}` : conversationOf(from, me),
      from,
      to: frame.to ?? me,
      ...(group === undefined ? {} : { group }),
      content: frame.dataContent ?? '',
      typeu: frame.typeu ?? -1,
      fp,
      sentAt: frame.sm ?? -1,
    });
    return true;
  }

  /** Type 4 from the server: a message of ours is accepted (an unknown fp is a late repeat). */
  #ack(frame: ImFrame): boolean {
    const fp = frame.dataContent;
    if (typeof fp !== 'string') return false;
    const conv = typeof frame.conv === 'string' ? frame.conv : '';
    const sent = { fp, sid: num(frame.sid), seq: num(frame.seq), conv };
    const entry = this.#context.outbox.accept(sent);
    if (entry) this.#context.dispatch('accepted', { ...sent, to: entry.to });
    return true;
  }

  /** Type 52: 1429 and 1504 slow the sender down; 1403 naming an fp of ours refuses that message. */
  #error(code: number, fpNamed: string, message: string, retryAfterMs: number | undefined): void {
    const { outbox, sender, dispatch } = this.#context;
    // Too fast (1429) or the server is behind (1504: backpressure, with how long to wait).
    if (code === imCodes.rateLimited) sender.throttle(1000);
    else if (code === imCodes.busy) sender.throttle(retryAfterMs ?? 1000);
    else if (code === imCodes.refused) {
      const error = new ImError(imErrorTypes.refused, 'the server refused the message', { code });
      for (const { fp, to, content, typeu } of outbox.fail([fpNamed], error)) {
        dispatch('refused', { message: { fp, to, content, typeu }, code });
      }
    }
    dispatch('error', { code, message });
  }
}
