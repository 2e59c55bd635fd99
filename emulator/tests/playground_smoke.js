// Headless smoke test of the playground page (clicks through it like a person).
// Not run by cargo: needs Node and jsdom. Run it against a live emulator:
//   TEST_CLOCK=on cargo run -p dianabot-emulator --example serve -- 18081 &
//   npm install jsdom@24 && node emulator/tests/playground_smoke.js http://127.0.0.1:18081
// It plays the bot itself through the Bot API, so no server is needed.
const { JSDOM } = require("jsdom");
const BASE = process.argv[2];
const TOKEN = "123456:TEST";
const sleep = ms => new Promise(r => setTimeout(r, ms));
async function waitFor(fn, what, ms = 8000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("timeout waiting for " + what);
    await sleep(50);
  }
}
const bot = async (method, body) => (await fetch(`${BASE}/bot${TOKEN}/${method}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).json();
const ctl = async (path) => (await fetch(`${BASE}/control${path}`)).json();

(async () => {
  const html = await (await fetch(BASE + "/playground")).text();
  const dom = new JSDOM(html, {
    url: BASE + "/playground", runScripts: "dangerously", pretendToBeVisual: true,
    beforeParse(window) {
      window.fetch = (u, o) => fetch(new URL(u, BASE), o);
      window.confirm = () => true;
      window.open = () => null;
    },
  });
  const { document } = dom.window;
  const q = id => document.querySelector(`[data-testid="${id}"]`);
  await waitFor(() => q("status").textContent.includes("bot"), "status");
  // create a user
  q("new-user-name").value = "Ana";
  q("new-user-lang").value = "en";
  q("create-user").click();
  const col = await waitFor(() => document.querySelector('[data-testid^="chat-"]'), "chat column");
  const uid = Number(col.dataset.userId);
  console.log("user", uid);
  q(`input-${uid}`).value = "/start";
  q(`send-${uid}`).click();
  const ups = await waitFor(async () => { const u = await ctl("/updates"); return u.count ? u : null; }, "update");
  console.log("update text:", ups.updates[0].update.message.text);
  // bot replies with HTML and keyboard
  const sent = await bot("sendMessage", { chat_id: uid, text: "<b>Hola</b> <i>Ana</i>\nline2", parse_mode: "HTML",
    reply_markup: { inline_keyboard: [[{ text: "Go", callback_data: "go" }]] } });
  const mid = sent.result.message_id;
  const textEl = await waitFor(() => q(`text-${mid}`), "bot message");
  console.log("rendered:", textEl.innerHTML);
  q(`btn-${mid}-0-0`).click();
  const cb = await waitFor(async () => { const u = await ctl("/updates"); return u.updates.find(x => x.update.callback_query); }, "callback");
  await bot("answerCallbackQuery", { callback_query_id: cb.update.callback_query.id, text: "Bien hecho" });
  await waitFor(() => q("toast").textContent === "Bien hecho", "toast");
  console.log("toast ok");
  // edit in place
  await bot("editMessageText", { chat_id: uid, message_id: mid, text: "Edited" });
  await waitFor(() => q(`text-${mid}`) && q(`text-${mid}`).textContent.startsWith("Edited") && !q(`keyboard-${mid}`), "edit in place");
  console.log("edit ok");
  // invoice
  const inv = await bot("sendInvoice", { chat_id: uid, title: "Llave", description: "VIP", payload: "vip", currency: "XTR", prices: [{ label: "VIP", amount: 25 }] });
  const imid = inv.result.message_id;
  await waitFor(() => q(`pay-${imid}`), "invoice card");
  q(`pay-${imid}`).click();
  q("pay-confirm").click();
  const pcq = await waitFor(async () => { const u = await ctl("/updates"); return u.updates.find(x => x.update.pre_checkout_query); }, "pre-checkout");
  await bot("answerPreCheckoutQuery", { pre_checkout_query_id: pcq.update.pre_checkout_query.id, ok: true });
  await waitFor(() => q(`pay-${imid}`) && q(`pay-${imid}`).textContent.includes("Paid"), "paid");
  console.log("paid ok");
  // channel
  q("open-channel-free").click();
  await waitFor(() => q("channel-free"), "channel column");
  q("post-input-free").value = "<b>Nuevo</b> post";
  q("post-send-free").click();
  const post = await waitFor(async () => { const c = await ctl("/chats/free/messages"); return c.messages[0]; }, "post");
  await waitFor(() => q(`react-free-${post.message_id}-❤`), "reaction button");
  q(`react-free-${post.message_id}-❤`).click();
  await waitFor(() => q(`react-free-${post.message_id}-❤`) && q(`react-free-${post.message_id}-❤`).dataset.count === "1", "reaction count");
  console.log("reaction ok");
  q(`join-${uid}-free`).click();
  await waitFor(() => q(`membership-${uid}-free`) && q(`membership-${uid}-free`).dataset.status === "member", "join");
  console.log("join ok");
  // VIP channel: a join request by link, approved, then a ban — the member list follows.
  q("open-channel-vip").click();
  await waitFor(() => q("channel-vip") && q("members-vip"), "vip column with members");
  const link = await bot("createChatInviteLink", { chat_id: -1001000000002, creates_join_request: true });
  q("invite-input-vip").value = link.result.invite_link;
  q("invite-join-vip").click();
  await waitFor(() => q(`join-request-vip-${uid}`), "pending join request");
  console.log("join request shown");
  await bot("approveChatJoinRequest", { chat_id: -1001000000002, user_id: uid });
  await waitFor(() => q(`member-vip-${uid}`) && q(`member-vip-${uid}`).dataset.status === "member" && !q(`join-request-vip-${uid}`), "approved member");
  console.log("approved member shown");
  await bot("banChatMember", { chat_id: -1001000000002, user_id: uid });
  await waitFor(() => q(`member-vip-${uid}`) && q(`member-vip-${uid}`).dataset.status === "kicked", "banned member");
  await bot("unbanChatMember", { chat_id: -1001000000002, user_id: uid, only_if_banned: true });
  await waitFor(() => !q(`member-vip-${uid}`), "removed member");
  console.log("removal shown");
  // A Stars subscription: paid, renewed, failed from the sidebar.
  const subLink = await bot("createInvoiceLink", { title: "VIP", description: "30 días", payload: "vip:monthly", currency: "XTR",
    prices: [{ label: "VIP", amount: 250 }], subscription_period: 2592000 });
  const paying = fetch(`${BASE}/control/users/${uid}/pay`, { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ invoice_link: subLink.result }) });
  const subQuery = await waitFor(async () => { const u = await ctl("/updates"); return u.updates.find(x => x.update.pre_checkout_query && x.update.pre_checkout_query.invoice_payload === "vip:monthly"); }, "subscription pre-checkout");
  await bot("answerPreCheckoutQuery", { pre_checkout_query_id: subQuery.update.pre_checkout_query.id, ok: true });
  await paying;
  const subEl = await waitFor(() => document.querySelector('[data-testid^="subscription-"]'), "subscription in sidebar");
  const subId = subEl.dataset.testid.slice("subscription-".length);
  if (subEl.dataset.status !== "active") throw new Error("subscription status " + subEl.dataset.status);
  q(`sub-renew-${subId}`).click();
  await waitFor(() => q(`subscription-${subId}`) && q(`subscription-${subId}`).textContent.includes("2 payment(s)"), "renewal shown");
  q(`sub-fail-${subId}`).click();
  await waitFor(() => q(`subscription-${subId}`) && q(`subscription-${subId}`).dataset.status === "failed", "failure shown");
  console.log("subscription ok");
  // The game clock (adjustable when the emulator runs with TEST_CLOCK=on).
  if (!q("clock-advance").hidden) {
    q("clock-advance").click();
    await waitFor(() => q("clock").textContent.includes("+24 h"), "clock advanced");
    console.log("clock ok");
  }
  console.log("ALL OK");
  process.exit(0);
})().catch(e => { console.error("FAIL", e); process.exit(1); });
