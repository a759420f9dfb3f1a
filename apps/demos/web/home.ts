import { t } from './shared/i18n.js';
import { ApiError, api, loadProfile, type Profile } from './shared/session.js';
import { banner, byId, mountChrome, showName, toast } from './shared/ui.js';

mountChrome();
const form = byId<HTMLFormElement>('name-form');
const input = byId<HTMLInputElement>('name');
const save = byId<HTMLButtonElement>('save-name');
const error = byId('name-error');

try {
  const me = await loadProfile();
  showName(me.nickName);
  input.value = me.nickName;
  input.disabled = false;
  save.disabled = false;
} catch (e) {
  banner(t('me.failed', { message: (e as Error).message }), 'error');
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const nickName = input.value.trim();
  const length = [...nickName].length;
  error.textContent = '';
  if (length === 0 || length > 20) {
    error.textContent = t('error.name');
    return;
  }
  save.disabled = true;
  try {
    const saved = await api<Profile>('POST', '/profile', { nickName });
    showName(saved.nickName);
    toast(t('home.saved'), 'ok');
  } catch (e) {
    error.textContent = e instanceof ApiError ? e.message : String(e);
  } finally {
    save.disabled = false;
  }
});
