// The cashier's page of `medcode serve`: one field a keyboard-style scanner
// types into (the code, then Enter), POST /v1/verify, the verdict in large
// words, and the last 20 scans in page memory only. The API key and the
// operator id live in sessionStorage (this tab, this shift), never in the
// URL or any storage that outlives the tab. Everything from the service is shown as text
// (textContent), never parsed as HTML.
"use strict";

(function () {
  const HISTORY_MAX = 20;

  // Every reason string of the library (src/error/reason.rs), plus the
  // device-code ones; tests/page.rs checks that none is missing.
  const REASONS = {
    malformed: ["码无法识别，请让患者重新出示", "code not readable: ask the patient to show it again"],
    unsupported_version: ["码的版本不受支持，请让患者更新应用", "code version not supported: ask the patient to update the app"],
    unknown_key: ["签发密钥未知，请让患者刷新；仍失败请联系管理员", "unknown issuing key: ask the patient to refresh; if it persists, call the administrator"],
    bad_signature: ["签名无效，码可能被篡改，请勿受理", "bad signature: the code may be forged, do not accept it"],
    expired: ["码已过期，请让患者刷新", "code expired: ask the patient to refresh"],
    not_yet_valid: ["码尚未生效，请核对收银台时间或让患者刷新", "code not yet valid: check the till's clock or ask the patient to refresh"],
    validity_too_long: ["码的有效期超出规定，请勿受理", "code validity longer than allowed: do not accept it"],
    cross_province_disabled: ["参保人已关闭跨省使用", "the holder switched off use outside their home province"],
    replayed: ["此码已使用过，请让患者刷新", "code already used: ask the patient to refresh"],
    revoked: ["此码已被吊销（密钥、参保人或出示人），请勿受理", "revoked (key, insured person or presenter): do not accept it"],
    replay_guard_full: ["核验记录已满，请联系管理员", "replay guard full: call the administrator"],
    replay_guard_unavailable: ["共享核验记录无法连接，暂不能受理，请稍后重试", "shared replay guard unreachable: try again shortly"],
    trust_list_stale: ["信任列表已过期，请联系管理员更新", "trust list out of date: call the administrator"],
    unreadable: ["图片中没有可识别的码", "no readable code in the image"],
    limit_members: ["亲情账户成员已达上限", "the family account has the most members allowed"],
    limit_owners: ["该成员绑定的账户已达上限", "the member is bound by the most owners allowed"],
    identity_mismatch: ["姓名或身份证号与参保信息不符", "name or ID number does not match the insurance records"],
    not_activated: ["参保人尚未激活医保码", "the person has not activated their code"],
    self_binding: ["不能绑定本人", "an owner cannot bind themselves"],
    already_bound: ["已绑定或已备案", "already bound or filed"],
    not_bound: ["未绑定亲情账户", "not bound to the family account"],
    not_close_relative: ["个人账户共济仅限近亲属", "mutual aid is only for close relatives"],
    not_employee_scheme: ["仅职工医保参保人可备案共济", "only an employee-scheme owner can file mutual aid"],
    unknown_person: ["查无此参保人", "no such insured person"],
    invalid_claims: ["码的内容无效", "the code's contents are invalid"],
    invalid_key: ["密钥不可用，请联系管理员", "key unusable: call the administrator"],
    invalid_trust_list: ["信任或吊销列表不可用，请联系管理员", "trust or revocation list unusable: call the administrator"],
    storage: ["存储出错，请联系管理员", "storage error: call the administrator"],
    io: ["读写文件出错，请联系管理员", "file error: call the administrator"],
    invalid_argument: ["请求参数无效", "invalid request"],
    sender_no_wallet: ["付款方未开通医保钱包", "the sender has not opened a wallet"],
    receiver_no_wallet: ["收款方未开通医保钱包", "the receiver has not opened a wallet"],
    region_not_opened: ["该地区尚未开通医保钱包", "the region has not opened the wallet"],
    limit_daily_transfers: ["今日转账次数已用完", "the wallet made its most transfers today"],
    limit_amount: ["超过单笔转账限额", "above the most one transfer may move"],
    quiet_hours: ["22:00 至 06:00 不能转账", "no transfers between 22:00 and 06:00"],
    pending_transfer: ["对该收款方尚有未接收的转账", "a transfer to this receiver is not yet accepted"],
    insufficient_funds: ["余额不足", "not enough money in the account"],
    invalid_amount: ["金额无效", "invalid amount"],
    unknown_transfer: ["查无此转账", "no such transfer"],
    transfer_not_pending: ["转账已接收或已退回", "the transfer was already accepted or returned"],
    credential_expired: ["手机离线凭证已过期，请让患者联网刷新", "the phone's offline credential expired: ask the patient to go online once"],
    quota_exceeded: ["离线次数已用完，请让患者联网刷新", "offline code quota used up: ask the patient to go online once"],
    payment_pending: ["支付处理中，请稍后重试", "the payment is still being processed: retry shortly"],
  };

  // The presenter's relation to the insured person.
  const RELATIONS = {
    parent: ["父母", "the patient's parent"],
    spouse: ["配偶", "the patient's spouse"],
    child: ["子女", "the patient's child"],
    sibling: ["兄弟姐妹", "the patient's sibling"],
    grandparent: ["（外）祖父母", "the patient's grandparent"],
    grandchild: ["（外）孙子女", "the patient's grandchild"],
    other_family: ["其他家庭成员", "another family member"],
  };

  const KINDS = {
    self: ["本人码", "own code"],
    delegate: ["亲情账户代出示", "family-account code"],
    device: ["手机离线码", "code made offline on the phone"],
  };

  const SCHEMES = {
    employee: ["职工医保", "employee scheme"],
    resident: ["城乡居民医保", "resident scheme"],
  };

  const $ = (id) => document.getElementById(id);
  const codeField = $("code");
  const verdictBox = $("verdict");
  const noticesBox = $("notices");
  const historyList = $("history");
  const businessType = $("business-type");
  const operator = $("operator");
  const keyForm = $("key-form");
  const keyField = $("api-key");
  const keyMessage = $("key-message");

  // sessionStorage can be refused (a locked-down browser): then the values
  // live in this page only.
  const memory = {};
  const session = {
    get(name) {
      try { return window.sessionStorage.getItem(name); } catch (e) { return memory[name] ?? null; }
    },
    set(name, value) {
      try { window.sessionStorage.setItem(name, value); } catch (e) { memory[name] = value; }
    },
    remove(name) {
      try { window.sessionStorage.removeItem(name); } catch (e) { delete memory[name]; }
    },
  };
  const KEY = "medcode.apiKey";
  const OPERATOR = "medcode.operator";
  const BUSINESS = "medcode.businessType";

  const idle = verdictBox.firstElementChild.cloneNode(true); // "waiting for a scan"
  let seq = 0;
  let pending = null; // the code waiting for an API key
  let queue = Promise.resolve(); // scans are checked one after the other

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function words(table, key) {
    const found = Object.prototype.hasOwnProperty.call(table, key) ? table[key] : null;
    return found ? found[0] + " / " + found[1] : String(key);
  }

  function focusCode() {
    if (keyForm.hidden) codeField.focus();
  }

  // The verdict JSON of /v1/verify (cli/src/verdict.rs) as a state, the
  // headline and the lines below it.
  function describe(v) {
    if (v.valid === true) {
      const lapsed = v.status === "lapsed";
      return {
        state: lapsed ? "lapsed" : "accepted",
        headline: lapsed ? "⚠ 通过（断缴） / Accepted (lapsed)" : "✔ 通过 / Accepted",
        summary: (lapsed ? "⚠ 断缴 lapsed" : "✔ 通过 accepted") + " · " + (v.name || "—") + " · " + v.insured
          + (v.presenter ? " · ↪ 代出示 delegate" : ""),
      };
    }
    const reason = typeof v.reason === "string" ? v.reason : "unknown";
    return {
      state: "refused",
      headline: "✖ 拒绝 / Refused",
      reason,
      summary: "✖ 拒绝 refused · " + reason,
    };
  }

  function showNotices(list) {
    noticesBox.replaceChildren();
    const notices = Array.isArray(list) ? list : [];
    for (const n of notices) {
      noticesBox.append(el("p", null, "⚠ 提示 / Notice: " + n));
    }
    noticesBox.hidden = notices.length === 0;
  }

  function row(dl, term, value) {
    dl.append(el("dt", null, term), el("dd", null, value));
  }

  function render(v) {
    const d = describe(v);
    const parts = [el("p", "headline", d.headline)];
    if (d.state === "refused") {
      parts.push(el("p", "reason", words(REASONS, d.reason)));
      parts.push(el("p", "detail", "(" + d.reason + ") " + (v.detail || "")));
    } else {
      const dl = el("dl");
      row(dl, "姓名 Name", v.name || "—");
      row(dl, "医保号 Insured", v.insured ?? "—");
      row(dl, "参保地 Region", v.region);
      if (v.scheme) row(dl, "险种 Scheme", words(SCHEMES, v.scheme));
      if (v.status && v.status !== "normal" && v.status !== "lapsed") row(dl, "状态 Status", v.status);
      if (typeof v.kind === "string") row(dl, "码类型 Kind", words(KINDS, v.kind));
      parts.push(dl);
      if (d.state === "lapsed") {
        parts.push(el("p", "warning",
          "⚠ 断缴：可以使用医保码，但断缴期间不享受医保待遇 / Lapsed: insured, but no insurance benefits for the lapsed period"));
      }
      const p = v.presenter;
      if (p && typeof p === "object") {
        const rel = Object.prototype.hasOwnProperty.call(RELATIONS, p.relation)
          ? RELATIONS[p.relation] : [String(p.relation), String(p.relation)];
        const box = el("div", "delegate");
        box.append(el("p", null, "↪ 由 " + rel[0] + " 代为出示 / shown by " + rel[1] + " (" + p.insured + ")"));
        box.append(el("p", null, p.mutual_aid
          ? "个人账户共济：已备案 / personal-account mutual aid: filed"
          : "个人账户共济：未备案（不能用出示人的个人账户支付） / personal-account mutual aid: not filed (the presenter's personal account cannot pay)"));
        parts.push(box);
      }
    }
    showNotices(v.valid === true ? v.notices : []);
    seq += 1;
    verdictBox.replaceChildren(...parts);
    verdictBox.dataset.state = d.state;
    verdictBox.dataset.seq = String(seq);
    remember(d.state, d.summary);
  }

  function renderError(headline, text) {
    showNotices([]);
    seq += 1;
    verdictBox.replaceChildren(el("p", "headline", "✖ " + headline), el("p", "detail", text));
    verdictBox.dataset.state = "error";
    verdictBox.dataset.seq = String(seq);
    remember("error", "✖ 出错 error · " + text);
  }

  function remember(state, summary) {
    const item = el("li", state);
    const now = new Date();
    const time = el("time", null, now.toLocaleTimeString("zh-CN", { hour12: false }));
    time.dateTime = now.toISOString();
    item.append(time, el("span", null, summary));
    historyList.prepend(item);
    while (historyList.children.length > HISTORY_MAX) historyList.lastElementChild.remove();
  }

  function askForKey(message) {
    keyMessage.textContent = message;
    keyForm.hidden = false;
    keyField.value = "";
    keyField.focus();
  }

  async function check(code) {
    const body = { code, business_type: businessType.value };
    const op = operator.value.trim();
    if (op) body.operator_id = op;
    const headers = { "content-type": "application/json" };
    const key = session.get(KEY);
    if (key) headers.authorization = "Bearer " + key;
    let response;
    let answer;
    try {
      response = await fetch("/v1/verify", {
        method: "POST",
        headers,
        body: JSON.stringify(body),
        cache: "no-store",
        credentials: "omit",
      });
      answer = await response.json().catch(() => null);
    } catch (e) {
      renderError("无法连接核验服务 / Service unreachable", String(e));
      return;
    }
    if (response.status === 401) {
      pending = code;
      session.remove(KEY);
      askForKey(key
        ? "API 密钥无效，请重新输入 / The API key was not accepted: type it again"
        : "本服务需要收银台的 API 密钥（每班输入一次，仅保存在本页会话中） / This service needs the till's API key (once per shift, kept in this page's session only)");
      return;
    }
    if (response.ok && answer && typeof answer.valid === "boolean") {
      render(answer);
      return;
    }
    const why = answer && typeof answer.error === "string" ? answer.error : "HTTP " + response.status;
    renderError("无法核验 / Could not check", why);
  }

  function submitScan() {
    const code = codeField.value.trim();
    codeField.value = "";
    if (code) queue = queue.then(() => check(code)).finally(focusCode);
    focusCode();
  }

  $("scan").addEventListener("submit", (event) => {
    event.preventDefault();
    submitScan();
  });

  keyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const key = keyField.value.trim();
    if (!key) return;
    if (key.startsWith("MC1")) {
      // A code scanned while the key was asked for: it waits too, and is
      // never kept as the key.
      pending = key;
      askForKey("这是医保码，不是 API 密钥：请输入收银台的 API 密钥 / That was a code, not the API key: type the till's API key");
      return;
    }
    session.set(KEY, key);
    keyField.value = "";
    keyForm.hidden = true;
    const code = pending;
    pending = null;
    if (code) queue = queue.then(() => check(code)).finally(focusCode);
    focusCode();
  });

  $("shift").addEventListener("submit", (event) => event.preventDefault());

  operator.value = session.get(OPERATOR) || "";
  operator.addEventListener("change", () => session.set(OPERATOR, operator.value.trim()));
  const savedBusiness = session.get(BUSINESS);
  if (savedBusiness && [...businessType.options].some((o) => o.value === savedBusiness)) {
    businessType.value = savedBusiness;
  }
  businessType.addEventListener("change", () => session.set(BUSINESS, businessType.value));

  $("end-shift").addEventListener("click", () => {
    for (const name of [KEY, OPERATOR, BUSINESS]) session.remove(name);
    operator.value = "";
    historyList.replaceChildren();
    showNotices([]);
    verdictBox.replaceChildren(idle);
    verdictBox.dataset.state = "idle";
    focusCode();
  });

  // The camera, where the browser can read QR codes itself.
  const cameraButton = $("camera");
  const video = $("camera-view");
  let stream = null;
  function stopCamera() {
    if (stream) for (const t of stream.getTracks()) t.stop();
    stream = null;
    video.hidden = true;
    video.srcObject = null;
  }
  if ("BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    cameraButton.hidden = false;
    cameraButton.addEventListener("click", async () => {
      if (stream) { stopCamera(); focusCode(); return; }
      let detector;
      try {
        detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      } catch (e) {
        stopCamera();
        renderError("摄像头不可用 / Camera unavailable", String(e));
        focusCode();
        return;
      }
      video.srcObject = stream;
      video.hidden = false;
      await video.play().catch(() => {});
      const look = async () => {
        if (!stream) return;
        try {
          const found = await detector.detect(video);
          if (found.length > 0 && found[0].rawValue) {
            stopCamera();
            codeField.value = found[0].rawValue;
            submitScan();
            return;
          }
        } catch (e) { /* a frame not ready yet */ }
        window.requestAnimationFrame(look);
      };
      window.requestAnimationFrame(look);
    });
  }

  // A paste is a scan: checked at once (an Enter after it finds the field empty).
  codeField.addEventListener("paste", () => window.setTimeout(submitScan, 0));

  focusCode();
})();
