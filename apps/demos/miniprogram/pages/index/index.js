/**
 * The menu: who you are (`GET /weapp/profile`), a form to change your nickname
 * (`POST /weapp/profile`, WeChat's nickname input) and the three demos.
 */
const api = require('../../utils/api.js');
const { showError, toast } = require('../../utils/errors.js');

const NAME_RULE = '昵称需 1–20 个字，且不含控制字符';

/** The server's rule, checked here first: 1–20 characters, no control characters. */
function validName(name) {
  const length = Array.from(name).length;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  return length >= 1 && length <= 20 && !/[\u0000-\u001f\u007f-\u009f]/.test(name);
}

Page({
  data: {
    loading: true,
    saving: false,
    nickName: '',
  },

  onLoad() {
    this.loadProfile();
  },

  async loadProfile() {
    try {
      const profile = await api.get('/weapp/profile');
      this.setData({ nickName: profile.nickName, loading: false });
    } catch (error) {
      this.setData({ loading: false });
      showError(error);
    }
  },

  /** `<form bindsubmit>`: `detail.value.nickName` from `<input type="nickname" name="nickName">`. */
  async saveName(e) {
    const nickName = String(e.detail.value.nickName || '').trim();
    if (!validName(nickName)) {
      toast(NAME_RULE);
      return;
    }
    this.setData({ saving: true });
    try {
      const profile = await api.post('/weapp/profile', { nickName });
      this.setData({ nickName: profile.nickName });
      wx.showToast({ title: '已保存', icon: 'success' });
    } catch (error) {
      showError(error, { ERR_DEMO_BAD_INPUT: NAME_RULE });
    } finally {
      this.setData({ saving: false });
    }
  },
});
