/**
 * 一笔到底: draw one stroke on a `<canvas type="2d">`, save it, list your drawings, replay one at the
 * pace it was drawn, delete one — on Hutong's demo routes or the original app's, as `config.js`
 * says (utils/drawings.js). The stroke is recorded as actions:
 * `['m', x, y, 0]` at touchstart, `['l', x, y, t]` at each touchmove, x/y in canvas CSS pixels
 * and t in ms since touchstart.
 */
const drawings = require('../../utils/drawings.js');
const { messageOf, showError, toast } = require('../../utils/errors.js');
const { clampPoint, isReplayable, saveProblem } = require('../../utils/stroke.js');

const COLOR = '#1f6feb';
const LINE_WIDTH = 4;
const DAMAGED = '这幅画已损坏，无法回放';

const pad = (n) => (n < 10 ? `0${n}` : String(n));
const dateText = (value) => {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '';
  return `${date.getMonth() + 1}-${date.getDate()} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
};
/** Event time: WeChat's `timeStamp` (ms since the page opened), else the clock. */
const timeOf = (e) => (typeof e.timeStamp === 'number' ? e.timeStamp : Date.now());

Page({
  data: {
    drawings: [],
    points: 0,
    title: '',
    saving: false,
    replaying: false,
    selectedId: '',
    notice: '按住手指，一笔画完',
  },

  onLoad() {
    this.actions = [];
    this.loadList();
  },

  onReady() {
    wx.createSelectorQuery()
      .select('#doodle')
      .fields({ node: true, size: true })
      .exec((result) => {
        const info = (result || [])[0] || {};
        if (!info.node) {
          this.setData({ notice: '这台设备不支持 canvas 2d，请升级微信' });
          return;
        }
        const ratio = (wx.getWindowInfo ? wx.getWindowInfo() : wx.getSystemInfoSync()).pixelRatio || 1;
        const canvas = info.node;
        canvas.width = Math.round(info.width * ratio);
        canvas.height = Math.round(info.height * ratio);
        this.canvas = canvas;
        this.ctx = canvas.getContext('2d');
        this.ctx.scale(ratio, ratio);
        this.size = {
          width: Math.max(1, Math.round(info.width)),
          height: Math.max(1, Math.round(info.height)),
        };
      });
  },

  onUnload() {
    this.replayToken = null;
  },

  // ---- drawing ------------------------------------------------------------------------------

  onTouchStart(e) {
    const touch = (e.touches || [])[0];
    if (!this.ctx || !touch) return;
    this.replayToken = null;
    const { x, y } = clampPoint(touch.x, touch.y, this.size);
    this.startedAt = timeOf(e);
    this.actions = [['m', x, y, 0]];
    this.pen(COLOR, LINE_WIDTH, 1, 0, 0);
    this.setData({ points: 1, replaying: false, selectedId: '', notice: '画吧，松手就是一笔' });
  },

  onTouchMove(e) {
    const touch = (e.touches || [])[0];
    const last = this.actions[this.actions.length - 1];
    if (!this.ctx || !touch || !last) return;
    const { x, y } = clampPoint(touch.x, touch.y, this.size);
    if (x === last[1] && y === last[2]) return;
    const t = Math.max(last[3], Math.round(timeOf(e) - this.startedAt));
    this.actions.push(['l', x, y, t]);
    this.segment(last[1], last[2], x, y);
  },

  onTouchEnd() {
    // setData only here: once per stroke, not once per touchmove.
    this.setData({ points: this.actions.length, notice: '满意就保存，不满意就重画' });
  },

  /** Clears the canvas and sets the pen; `scale`/offsets map drawing pixels to the canvas. */
  pen(color, lineWidth, scale, dx, dy) {
    const { ctx, size } = this;
    ctx.clearRect(0, 0, size.width, size.height);
    ctx.strokeStyle = color;
    ctx.lineWidth = lineWidth * scale;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    this.transform = { scale, dx, dy };
  },

  segment(x1, y1, x2, y2) {
    const { ctx, transform: t } = this;
    ctx.beginPath();
    ctx.moveTo(t.dx + x1 * t.scale, t.dy + y1 * t.scale);
    ctx.lineTo(t.dx + x2 * t.scale, t.dy + y2 * t.scale);
    ctx.stroke();
  },

  onTitle(e) {
    this.setData({ title: e.detail.value });
  },

  async save() {
    const problem = saveProblem(this.actions);
    if (problem) {
      toast(messageOf({ code: problem }));
      return;
    }
    const body = Object.assign(
      { width: this.size.width, height: this.size.height, color: COLOR, lineWidth: LINE_WIDTH },
      this.data.title.trim() ? { title: this.data.title.trim() } : {},
      { actions: this.actions },
    );
    this.setData({ saving: true });
    try {
      const id = await drawings.save(body);
      this.actions = [];
      this.setData({ title: '', points: 0, selectedId: String(id), notice: '已保存' });
      wx.showToast({ title: '已保存', icon: 'success' });
      await this.loadList();
    } catch (error) {
      showError(error, { ERR_DEMO_BAD_INPUT: '标题不符合要求' });
    } finally {
      this.setData({ saving: false });
    }
  },

  // ---- my drawings --------------------------------------------------------------------------

  async loadList() {
    try {
      const list = await drawings.list();
      this.setData({
        drawings: list.map((d) => ({
          id: String(d.id),
          title: d.title || '无题',
          points: d.points,
          date: d.createdAt ? dateText(d.createdAt) : '',
        })),
      });
    } catch (error) {
      showError(error);
    }
  },

  /** Tapping a drawing: fetch it and replay it, unless it is damaged. */
  async open(e) {
    const { id } = e.currentTarget.dataset;
    if (!this.ctx) return;
    this.setData({ selectedId: id });
    let drawing;
    try {
      drawing = await drawings.load(id);
    } catch (error) {
      if (error.code === 'ERR_DEMO_BAD_STROKE') this.damaged();
      else showError(error);
      return;
    }
    if (!isReplayable(drawing)) {
      this.damaged();
      return;
    }
    this.actions = [];
    this.replay(drawing);
  },

  damaged() {
    this.replayToken = null;
    this.setData({ replaying: false, notice: DAMAGED });
    toast(DAMAGED);
  },

  /** Draws the stroke again, each line when its `t` has passed since the replay began. */
  replay(drawing) {
    const { size } = this;
    const scale = Math.min(size.width / drawing.width, size.height / drawing.height);
    const color = /^#[0-9a-fA-F]{6}$/.test(drawing.color) ? drawing.color : COLOR;
    const lineWidth = drawing.lineWidth > 0 && drawing.lineWidth <= 64 ? drawing.lineWidth : LINE_WIDTH;
    this.pen(
      color,
      lineWidth,
      scale,
      (size.width - drawing.width * scale) / 2,
      (size.height - drawing.height * scale) / 2,
    );
    const { actions } = drawing;
    const token = {};
    this.replayToken = token;
    this.setData({ replaying: true, notice: `回放中：${drawing.title || '无题'}` });
    const startedAt = Date.now();
    let next = 1;
    const frame = () => {
      if (this.replayToken !== token) return;
      const elapsed = Date.now() - startedAt;
      for (; next < actions.length && actions[next][3] <= elapsed; next += 1) {
        const [, x1, y1] = actions[next - 1];
        const [, x2, y2] = actions[next];
        this.segment(x1, y1, x2, y2);
      }
      if (next < actions.length) {
        this.nextFrame(frame);
        return;
      }
      this.replayToken = null;
      this.setData({ replaying: false, notice: '回放完了' });
    };
    this.nextFrame(frame);
  },

  nextFrame(fn) {
    if (this.canvas.requestAnimationFrame) this.canvas.requestAnimationFrame(fn);
    else setTimeout(fn, 16);
  },

  remove(e) {
    const { id, title } = e.currentTarget.dataset;
    wx.showModal({
      title: '删除这幅画？',
      content: `「${title}」删除后无法恢复`,
      confirmText: '删除',
      confirmColor: '#cf222e',
      success: async ({ confirm }) => {
        if (!confirm) return;
        try {
          await drawings.remove(id);
          if (this.data.selectedId === id) this.setData({ selectedId: '' });
          wx.showToast({ title: '已删除', icon: 'success' });
        } catch (error) {
          showError(error);
        }
        await this.loadList();
      },
    });
  },
});
