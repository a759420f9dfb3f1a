/**
 * 一笔到底: one stroke on a canvas, recorded as actions (`["m"|"l", x, y, t]`), saved for the
 * signed-in user, listed, and replayed at the pace it was drawn. The page checks a stroke with the
 * same `checkStroke` the server uses, before saving it and before replaying a stored one.
 */
import { checkStroke, type DrawingSummary, type StrokeAction, strokeLimits } from '@hutong/demos/drawing';
import { formatTime, t } from '../shared/i18n.js';
import { ApiError, loadProfile } from '../shared/session.js';
import { banner, byId, h, mountChrome, showName, toast } from '../shared/ui.js';
import { type Drawing, drawingsApi } from './drawings-api.js';

type Summary = DrawingSummary;

mountChrome();
const canvas = byId<HTMLCanvasElement>('canvas');
const pointsEl = byId('points');
const titleInput = byId<HTMLInputElement>('title');
const saveButton = byId<HTMLButtonElement>('save');
const status = byId('board-status');
const listEl = byId<HTMLUListElement>('drawings');
const WIDTH = canvas.width;
const HEIGHT = canvas.height;
const COLOR = '#1f6feb';
const LINE = 4;
const drawings = drawingsApi(WIDTH, HEIGHT);
document.body.dataset['session'] = drawings.dialect;
// The original app's routes keep no title; a link switches between the two dialects.
titleInput.hidden = drawings.dialect === 'weapp-session';
listEl.before(
  drawings.dialect === 'wafer'
    ? h(
        'p',
        { class: 'muted dialect' },
        h('a', { id: 'dialect', href: '?session=weapp-session' }, t('doodle.dialect.wafer')),
      )
    : h(
        'p',
        { class: 'muted dialect' },
        t('doodle.dialect.weapp-session'),
        ' ',
        h('a', { id: 'dialect', href: location.pathname }, t('doodle.dialect.back')),
      ),
);

const ctx = canvas.getContext('2d')!;
let actions: StrokeAction[] = [];
let drawing = false;
let started = 0;
let replayToken = 0;

function say(text: string, kind: 'info' | 'error' = 'info'): void {
  status.textContent = text;
  status.className = kind === 'error' ? 'error' : 'muted';
}

function clearBoard(): void {
  ctx.clearRect(0, 0, WIDTH, HEIGHT);
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
}

/** The counter under the board: the stroke being drawn, or the drawing on the board (`n`). */
function countPoints(n = actions.length): void {
  pointsEl.textContent = t('doodle.points', { n, max: strokeLimits.maxActions });
}

/** A pointer position in canvas pixels, inside the canvas, to 0.1 px. */
function at(event: PointerEvent): [number, number] {
  const box = canvas.getBoundingClientRect();
  const clamp = (v: number, max: number) => Math.round(Math.min(max, Math.max(0, v)) * 10) / 10;
  return [
    clamp(((event.clientX - box.left) * WIDTH) / box.width, WIDTH),
    clamp(((event.clientY - box.top) * HEIGHT) / box.height, HEIGHT),
  ];
}

function segment(from: StrokeAction, to: StrokeAction, color: string, width: number): void {
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.beginPath();
  ctx.moveTo(from[1], from[2]);
  ctx.lineTo(to[1], to[2]);
  ctx.stroke();
}

canvas.addEventListener('pointerdown', (event) => {
  replayToken += 1; // stops a replay in progress
  canvas.setPointerCapture(event.pointerId);
  drawing = true;
  started = performance.now();
  clearBoard();
  const [x, y] = at(event);
  actions = [['m', x, y, 0]];
  ctx.fillStyle = COLOR;
  ctx.beginPath();
  ctx.arc(x, y, LINE / 2, 0, Math.PI * 2);
  ctx.fill();
  say('');
  countPoints();
});

canvas.addEventListener('pointermove', (event) => {
  if (!drawing) return;
  if (actions.length >= strokeLimits.maxActions) {
    drawing = false;
    say(t('doodle.too-long-now', { max: strokeLimits.maxActions }), 'error');
    return;
  }
  const [x, y] = at(event);
  const last = actions.at(-1)!;
  if (last[1] === x && last[2] === y) return;
  const next: StrokeAction = ['l', x, y, Math.max(last[3], Math.round(performance.now() - started))];
  actions.push(next);
  segment(last, next, COLOR, LINE);
  countPoints();
});

const stop = () => {
  drawing = false;
};
canvas.addEventListener('pointerup', stop);
canvas.addEventListener('pointercancel', stop);

byId('clear').addEventListener('click', () => {
  replayToken += 1;
  actions = [];
  clearBoard();
  countPoints();
  say('');
});

saveButton.addEventListener('click', async () => {
  const problem = checkStroke({ width: WIDTH, height: HEIGHT, actions });
  if (problem) {
    say(t(`error.${problem.code}`, { message: problem.message }), 'error');
    return;
  }
  saveButton.disabled = true;
  try {
    await drawings.save({
      title: titleInput.value.trim(),
      width: WIDTH,
      height: HEIGHT,
      color: COLOR,
      lineWidth: LINE,
      actions,
    });
    toast(t('doodle.saved'), 'ok');
    say(t('doodle.saved'));
    titleInput.value = '';
    await refresh();
  } catch (e) {
    say(e instanceof ApiError ? e.message : String(e), 'error');
  } finally {
    saveButton.disabled = false;
  }
});

/** Draws a stored stroke at its recorded pace; a damaged one is refused with a message. */
async function replay(summary: Summary): Promise<void> {
  const token = ++replayToken;
  const title = summary.title || t('doodle.untitled');
  let stored: Drawing;
  try {
    stored = await drawings.load(summary);
  } catch (e) {
    say(e instanceof ApiError ? e.message : String(e), 'error');
    return;
  }
  const problem =
    stored.actions === null
      ? { code: 'damaged' }
      : checkStroke({ width: stored.width, height: stored.height, actions: stored.actions });
  clearBoard();
  if (problem) {
    document.body.dataset['replay'] = 'damaged';
    say(t('doodle.damaged'), 'error');
    return;
  }
  const steps = stored.actions as StrokeAction[];
  document.body.dataset['replay'] = 'playing';
  countPoints(steps.length);
  say(t('doodle.replaying', { title }));
  const scaleX = WIDTH / stored.width;
  const scaleY = HEIGHT / stored.height;
  const scaled = steps.map(([k, x, y, time]): StrokeAction => [k, x * scaleX, y * scaleY, time]);
  const begin = performance.now();
  let drawn = 1;
  await new Promise<void>((resolve) => {
    const frame = () => {
      if (token !== replayToken) return resolve();
      const now = performance.now() - begin;
      while (drawn < scaled.length && scaled[drawn]![3] <= now) {
        segment(scaled[drawn - 1]!, scaled[drawn]!, stored.color, stored.lineWidth);
        drawn += 1;
      }
      if (drawn < scaled.length) requestAnimationFrame(frame);
      else resolve();
    };
    frame();
  });
  if (token !== replayToken) return;
  actions = [];
  countPoints(steps.length); // the replayed drawing's points, not the (empty) stroke being drawn
  document.body.dataset['replay'] = 'done';
  say(t('doodle.replayed', { title }));
}

async function remove(summary: Summary): Promise<void> {
  if (!confirm(t('doodle.confirm-delete', { title: summary.title || t('doodle.untitled') }))) return;
  try {
    await drawings.remove(summary.id);
    toast(t('doodle.deleted'), 'ok');
  } catch (e) {
    toast(e instanceof ApiError ? e.message : String(e), 'error');
  }
  await refresh();
}

async function refresh(): Promise<void> {
  let list: Summary[];
  try {
    list = await drawings.list();
  } catch (e) {
    listEl.replaceChildren(
      h('li', { class: 'empty error-text' }, e instanceof ApiError ? e.message : String(e)),
    );
    return;
  }
  if (list.length === 0) {
    listEl.replaceChildren(h('li', { class: 'empty' }, t('doodle.none')));
    return;
  }
  listEl.replaceChildren(
    ...list.map((d) =>
      h(
        'li',
        { class: 'item', 'data-id': d.id },
        h('div', { class: 'title' }, d.title || t('doodle.untitled')),
        h(
          'div',
          { class: 'meta' },
          [
            ...(d.createdAt > 0 ? [formatTime(d.createdAt)] : []),
            t('doodle.points', { n: d.points, max: strokeLimits.maxActions }),
          ].join(' · '),
        ),
        h(
          'div',
          { class: 'row' },
          h('button', { type: 'button', class: 'replay', onclick: () => void replay(d) }, t('doodle.replay')),
          h(
            'button',
            { type: 'button', class: 'danger delete', onclick: () => void remove(d) },
            t('doodle.delete'),
          ),
        ),
      ),
    ),
  );
}

clearBoard();
countPoints();
try {
  showName((await loadProfile()).nickName);
  await refresh();
} catch (e) {
  banner(t('me.failed', { message: (e as Error).message }), 'error');
}
