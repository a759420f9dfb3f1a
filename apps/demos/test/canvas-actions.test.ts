/**
 * The original 一笔到底's canvas actions: a stroke goes there and back unchanged, the original's own
 * shape (save, style, width, strokePath, restore) reads, and anything else is no stroke rather
 * than an exception.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import * as page from '../src/canvas-actions.js';
import { colorArray, fromCanvasActions, type Polyline, toCanvasActions } from '../src/canvas-actions.js';

/** The mini program's copy (plain JS, CommonJS, as WeChat loads it). */
const miniprogram = createRequire(import.meta.url)('../miniprogram/utils/canvas-actions.js') as typeof page;

const line: Polyline = {
  points: [
    [10, 20],
    [15.5, 24],
    [30, 40],
  ],
  color: '#1f6feb',
  lineWidth: 4,
};

describe('canvas actions of the original 一笔到底', () => {
  it('a stroke goes to canvas actions and back', () => {
    const actions = toCanvasActions(line);
    assert.deepEqual(
      actions.map((a) => a.method),
      ['save', 'setStrokeStyle', 'setLineWidth', 'strokePath', 'restore'],
    );
    assert.deepEqual(actions[1]!.data, ['normal', [0x1f, 0x6f, 0xeb, 255]]);
    assert.deepEqual(fromCanvasActions(JSON.parse(JSON.stringify(actions))), line);
  });

  it('reads what wx.createContext().getActions() gave the original, defaults where unset', () => {
    const saved = [
      { method: 'save', data: [] },
      {
        method: 'strokePath',
        data: [
          { method: 'moveTo', data: [1, 2] },
          { method: 'lineTo', data: [3, 4] },
          { method: 'closePath', data: [] },
        ],
      },
      { method: 'restore', data: [] },
    ];
    assert.deepEqual(fromCanvasActions(saved), {
      points: [
        [1, 2],
        [3, 4],
      ],
      color: '#000000',
      lineWidth: 1,
    });
  });

  it('anything that is not a stroke of two points or more is undefined, never an exception', () => {
    const single = toCanvasActions({ ...line, points: [[1, 1]] });
    for (const value of [
      null,
      'x',
      42,
      {},
      [1, 2],
      [{ method: 'save' }],
      single,
      [{ method: 'strokePath', data: [] }],
    ]) {
      assert.equal(fromCanvasActions(value), undefined, JSON.stringify(value));
    }
  });

  it('colors: #rrggbb to [r, g, b, 255]; anything else is black', () => {
    assert.deepEqual(colorArray('#FF0000'), [255, 0, 0, 255]);
    assert.deepEqual(colorArray('red'), [0, 0, 0, 255]);
  });
});

describe("the mini program's copy", () => {
  it("answers as the pages' for strokes, the original's shapes, junk and colors", () => {
    const inputs: unknown[] = [
      toCanvasActions(line),
      toCanvasActions({ ...line, color: '#FFA500', lineWidth: 5 }),
      [
        {
          method: 'strokePath',
          data: [
            { method: 'moveTo', data: [1, 2] },
            { method: 'lineTo', data: [3, 4] },
          ],
        },
      ],
      [
        { method: 'setStrokeStyle', data: ['normal', [300, -1, 12.4, 255]] },
        { method: 'strokePath', data: [] },
      ],
      null,
      [{ method: 'save' }],
      'junk',
    ];
    for (const input of inputs) {
      assert.deepEqual(
        miniprogram.fromCanvasActions(input),
        page.fromCanvasActions(input),
        JSON.stringify(input),
      );
    }
    assert.deepEqual(miniprogram.toCanvasActions(line), page.toCanvasActions(line));
    for (const color of ['#1f6feb', '#FFFFFF', 'red', '#12345']) {
      assert.deepEqual(miniprogram.colorArray(color), page.colorArray(color));
    }
  });
});
