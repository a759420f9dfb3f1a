/** Test data for MessageStore tests: fresh user ids and one-to-one messages. */
import { randomBytes } from 'node:crypto';
import { conversationOf, type NewMessage } from '../index.js';

/** A user id no other test uses. */
export const uid = () => `u${randomBytes(6).toString('hex')}`;

/** A one-to-one message from `sender` to `target`, created now. */
export const c2c = (sender: string, target: string, fp: string | null, content = 'hi'): NewMessage => ({
  conv: conversationOf(sender, target, false),
  sender,
  target,
  recipients: [target],
  fp,
  typeu: 1,
  content,
  createdAt: Date.now(),
});
