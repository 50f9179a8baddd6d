import { render } from 'preact';
import { WebMessagingApi } from './api.ts';
import { ConversationStore } from './conversation-store.ts';
import { localeOf, stringsFor } from './i18n.ts';
import { styles } from './styles.ts';
import { Widget } from './widget.tsx';

/**
 * Entry point of `widget.js`. The embedding tag:
 *
 *   <script src="https://chat.example.com/web/v1/widget.js" data-channel-key="acme/web-chat" async></script>
 *
 * `data-channel-key` is `<tenant>/<channel>`; optional `data-locale` (`en`, `fr`; default:
 * the page's language) and `data-server` (default: where the script came from).
 */
function boot(): void {
  const script = document.currentScript as HTMLScriptElement | null;
  const key = script?.dataset.channelKey ?? '';
  const [tenant, channel] = key.split('/');
  if (!script || !tenant || !channel) {
    console.error('Parley widget: the script tag needs data-channel-key="<tenant>/<channel>"');
    return;
  }
  const server = (script.dataset.server ?? new URL(script.src, location.href).origin).replace(/\/+$/, '');
  const locale = localeOf(script.dataset.locale ?? document.documentElement.lang ?? navigator.language);
  const api = new WebMessagingApi(server, tenant, channel);
  const store = new ConversationStore(api, locale);

  const host = document.createElement('div');
  host.id = 'parley-widget';
  const shadow = host.attachShadow({ mode: 'open' });
  const style = document.createElement('style');
  style.textContent = styles;
  const container = document.createElement('div');
  shadow.append(style, container);
  const mount = () => {
    document.body.append(host);
    render(<Widget store={store} t={stringsFor(locale)} locale={locale} resume={api.hasSession} />, container);
  };
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount, { once: true });
}

boot();
