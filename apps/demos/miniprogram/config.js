/**
 * Where this mini program finds Hutong. Change `serverUrl` to your deployment (HTTPS), and add its
 * host to the mini program's request, socket and download domains (微信公众平台 → 开发管理 →
 * 服务器域名). The pages use `${serverUrl}/weapp/login` to log in, `${serverUrl}/weapp/tunnel`
 * for the chat room, `${serverUrl}/weapp/...` for the demo routes and `wss://<the same host>/im`
 * for IM.
 */
module.exports = {
  serverUrl: 'https://hutong.example.com',
  /**
   * How 一笔到底 keeps drawings. `'wafer2'`: Hutong's demo routes with a Wafer 2 session.
   * `'weapp-session'`: the original 一笔到底's routes (`${serverUrl}/applet/session/paints/…`)
   * with weapp-session's scheme (`requestWithSession`), sharing paints with the original app.
   */
  session: 'wafer2',
};
