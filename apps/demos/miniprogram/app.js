/**
 * The Hutong demos: a menu, the Wafer chat room, 一笔到底 and IM. Every page logs in through
 * @hutong/client (`wx.login` → `/weapp/login`) on its first request.
 */
const hutong = require('@hutong/client');
const { urls } = require('./utils/api.js');

hutong.setLoginUrl(urls.login);

App({
  globalData: {},
});
