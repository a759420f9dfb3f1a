/** What the user reads when something fails: the server's and the SDK's codes, in Chinese. */

const messages = {
  ERR_DEMO_EMPTY_STROKE: '这只是点了一下：请按住手指画一笔',
  ERR_DEMO_STROKE_TOO_LARGE: '这一笔太长了（最多 5000 个点）',
  ERR_DEMO_BAD_STROKE: '这一笔的数据有误，请重画',
  ERR_DEMO_BAD_INPUT: '输入的内容不符合要求',
  ERR_DEMO_NOT_FOUND: '找不到这幅画，可能已被删除',
  ERR_DEMO_LIMIT: '最多保存 500 幅画，请先删掉一些',
  ERR_NETWORK: '网络不可用，请稍后再试',
  ERR_WX_LOGIN_FAILED: '微信登录失败，请稍后再试',
  ERR_LOGIN_FAILED: '登录失败，请稍后再试',
  ERR_SESSION_INVALID: '登录已失效，请重新打开小程序',
  ERR_FORBIDDEN: '你不在这个群里',
};

/**
 * The sentence for an error's `code` (or `type`); `overrides` words a code for one form.
 * @param {{code?: string, type?: string}} error
 * @param {Record<string, string>} [overrides]
 */
function messageOf(error, overrides) {
  const { code: given, type } = error || {};
  const code = given || type || '';
  const words = Object.assign({}, messages, overrides);
  return words[code] || `出错了，请稍后再试（${code || '未知错误'}）`;
}

/** A toast that fits two lines of text (no icon). */
function toast(text) {
  wx.showToast({ title: text, icon: 'none', duration: 2500 });
}

/** Shows an error as a toast; `overrides` as in messageOf. */
function showError(error, overrides) {
  toast(messageOf(error, overrides));
}

module.exports = { messageOf, toast, showError };
