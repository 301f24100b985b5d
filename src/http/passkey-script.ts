/** Where the pages' one script is served (CSP `script-src 'self'`: no inline script anywhere). */
export const PASSKEY_SCRIPT_PATH = '/assets/passkeys.js';

/**
 * The pages' one script: the browser half of the passkey ceremonies (WebAuthn Level 3 §5.1.3, §5.1.4), and nothing
 * else. A form marked `data-passkey` asks its options URL for a challenge (JSON, with the form's CSRF token and
 * fields; a refusal is the API's error body, its error_description shown), hands it to navigator.credentials, and posts the answer back in the form's hidden `credential` field, so
 * the server answers as it does any form (a redirect, or the page again with a message). Forms stay hidden where the
 * browser has no WebAuthn. The sign-in form also offers the browser's passkey autofill (conditional mediation, §5.1.4.1)
 * on the username field.
 */
export const PASSKEY_SCRIPT = `'use strict';
(() => {
  if (!window.PublicKeyCredential || !navigator.credentials) return;
  const bytes = (text) => {
    const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
    const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  };
  const text = (buffer) => {
    let binary = '';
    for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  };
  const decodeIds = (list) => (list || []).map((entry) => ({ ...entry, id: bytes(entry.id) }));
  const creation = (o) => ({ ...o, challenge: bytes(o.challenge), user: { ...o.user, id: bytes(o.user.id) }, excludeCredentials: decodeIds(o.excludeCredentials) });
  const request = (o) => ({ ...o, challenge: bytes(o.challenge), allowCredentials: decodeIds(o.allowCredentials) });
  const answer = (credential) => {
    const r = credential.response;
    const response = { clientDataJSON: text(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = text(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = text(r.authenticatorData);
      response.signature = text(r.signature);
      if (r.userHandle) response.userHandle = text(r.userHandle);
    }
    return JSON.stringify({
      id: credential.id,
      rawId: text(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response,
    });
  };
  const say = (form, message) => {
    const box = form.querySelector('[data-passkey-message]');
    if (!box) return;
    box.textContent = message;
    box.hidden = !message;
  };
  const optionsFor = async (form) => {
    const body = { csrf: form.elements.csrf.value };
    for (const name of (form.dataset.passkeyFields || '').split(' ').filter(Boolean)) body[name] = form.elements[name].value;
    const reply = await fetch(form.dataset.passkeyOptions, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
    });
    const json = await reply.json().catch(() => ({}));
    if (!reply.ok) throw Object.assign(new Error(json.error_description || form.dataset.passkeyFailed), { shown: true });
    return json;
  };
  let pending;
  const ceremony = async (form, mediation) => {
    if (pending) pending.abort();
    const controller = new AbortController();
    pending = controller;
    const options = await optionsFor(form);
    const credential =
      form.dataset.passkey === 'add'
        ? await navigator.credentials.create({ publicKey: creation(options), signal: controller.signal })
        : await navigator.credentials.get({ publicKey: request(options), mediation, signal: controller.signal });
    if (!credential) return;
    form.elements.credential.value = answer(credential);
    // The password was checked when the challenge was made: it need not travel again.
    for (const input of form.querySelectorAll('input[type=password]')) input.value = '';
    form.submit();
  };
  const start = (form, mediation) =>
    ceremony(form, mediation).catch((error) => {
      if (mediation === 'conditional' || error.name === 'AbortError') return;
      say(form, error.shown ? error.message : form.dataset.passkeyFailed);
    });
  for (const form of document.querySelectorAll('form[data-passkey]')) {
    form.hidden = false;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      say(form, '');
      start(form, 'optional');
    });
    if (form.dataset.passkeyConditional !== undefined && PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then((available) => available && start(form, 'conditional'));
    }
  }
})();
`;
