// Vectors for linklab/echo: ECHO accounting (in-order replies, a gap, a duplicate, one never sent, the bounded table,
// the connection dropping) and the PUSH sequence check, as the client drives them.
import { EchoTracker, SequenceCheck } from "linklab/echo";

export function vectors(): Record<string, unknown> {
  const echoes = new EchoTracker(4);
  const sent = [0, 10, 20, 30].map((t) => echoes.send(t));
  const replies = [echoes.reply(0, 25), echoes.reply(2, 40), echoes.reply(1, 41), echoes.reply(0, 42), echoes.reply(9, 43)];
  const bounded = [40, 50, 60, 70, 80].map((t) => echoes.send(t));
  const left = echoes.inflight;
  const dropped = echoes.dropAll();
  const pushes = new SequenceCheck();
  const gaps = [5, 6, 8, 8, 9].map((seq) => pushes.next(seq) ?? null);
  pushes.reset();
  const afterReset = pushes.next(100) ?? null;
  return { sent, replies, bounded, left, dropped, after: echoes.inflight, gaps, afterReset };
}
