# The bot's texts in English (Fluent: https://projectfluent.org/).
# Variables ({ $name }) are filled in by the server; `dianabot content check`
# reports a key missing in one language or a variable the server does not pass.
# Texts are Telegram HTML: <b>, <i> and <pre> are allowed.

## Welcome and menu

welcome =
    🎩 <b>Lucien</b>: Welcome, { $name }. I am Lucien, butler of this house.

    Diana is expecting you… but first, allow me a gift: <b>{ $balance } { $balance ->
        [one] besito
       *[other] besitos
    }</b> for the road.
welcome-back = 🎩 <b>Lucien</b>: How good to see you again, { $name }.
follow-lucien = Follow Lucien →
onboarding =
    🎩 <b>Lucien</b>: In this house every gesture counts. <b>Besitos</b> are its currency: you earn them by reacting to the channel's posts, reading the story and completing missions, and you spend them in the shop.

    Whenever you wish, open the menu.
open-menu = Open the menu
menu =
    🏛 <b>Main menu</b>
    Balance: { $balance } { $balance ->
        [one] besito
       *[other] besitos
    }
button-story = 📖 Story
button-profile = 👤 Profile
button-inventory = 🎒 Inventory
button-daily-gift = 🎁 Daily gift
button-shop = 🛍️ Shop
button-auctions = 🔨 Auctions
button-vip = 💎 VIP
button-help = ❓ Help
button-language = 🌐 Language
button-missions = 🎯 Missions
button-achievements = 🏆 Achievements
button-ledger = 💰 Movements
back = « Menu
back-to-profile = « Profile

## Profile, progress and inventory

profile =
    👤 <b>Profile</b>
    Name: { $name }
    Language: { $language }
    Besitos: { $balance }
    Reactions: { $reactions }
    Items: { $items }
language-name = English
daily-gift =
    🎁 <b>Today's gift</b>
    Lucien hands you { $paid } { $paid ->
        [one] besito
       *[other] besitos
    }. Streak: { $streak } { $streak ->
        [one] day
       *[other] days
    }.
    Balance: { $balance } { $balance ->
        [one] besito
       *[other] besitos
    }
missions-title = 🎯 <b>Missions</b>
achievements-title = 🏆 <b>Achievements</b> ({ $earned } of { $total })
achievement-unlocked = 🏆 Achievement: { $name }
mission-done = 🎯 Mission complete: { $name }
inventory-title = 🎒 <b>Inventory</b>
inventory-empty = You have no items yet.
ledger-title = 💰 <b>Latest movements</b>
ledger-empty = No movements yet.
# Why besitos moved: a reason of the ledger.
ledger-reason = { $reason ->
        [welcome_bonus] welcome
        [reaction] reaction
        [admin_grant] gift from the house
        [admin_deduction] adjustment by the house
        [story_reward] story
        [story_cost] story (cost)
        [daily_gift] daily gift
        [gift_sent] gift sent
        [gift_received] gift received
        [gift_refund] gift returned
        [achievement_reward] achievement
        [mission_reward] mission
        [purchase] purchase
        [purchase_refund] purchase refunded
        [shop_reward] shop
        [refund_reversal] Stars refund
        [auction_hold] bid held
        [auction_release] bid returned
        [auction_won] auction won
        [vip_renewal_bonus] VIP renewal bonus
        [experience_reward] experience
        [lore_reward] lore secret
        [trivia_reward] trivia
        [referral_reward] referral
        [leaderboard_prize] leaderboard prize
       *[other] { $reason }
    }
help =
    ❓ <b>Help</b>
    /menu — main menu
    /story — the story
    /profile — your profile and balance
    /inventory — your items
    /daily — today's gift
    /missions, /achievements, /ledger — your progress
    /gift @username 10 — give besitos
    /shop — Lucien's shop
    /experiences — your experiences
    /auctions — live auctions; /bid 7 50 — bid 50 besitos in auction 7
    /backpack — your clues and secrets; /code KEY — redeem a secret code
    /trivia — trivia sets; /events — timed events; /invite — your invite link
    /ranking — the weekly and all-time leaderboards, and your rank
    /language — change language
    /help — this help
pick-language = 🌐 Choose your language:
language-es = 🇪🇸 Español
language-en = 🇬🇧 English
not-understood = 🎩 Lucien raises an eyebrow: I did not understand. Type /menu or /help.
not-registered = 🎩 Lucien does not know you yet. Type /start to begin.

## Gifts between players

gift-delivered = 🎁 You gave { $amount } { $amount ->
        [one] besito
       *[other] besitos
    } to { $to }.
gift-in-flight = 🎁 Your gift of { $amount } { $amount ->
        [one] besito
       *[other] besitos
    } to { $to } is on its way.
gift-refunded = 🎁 { $to } cannot receive gifts yet; your besitos came back to you.
gift-received = 🎁 { $from } gave you { $amount } { $amount ->
        [one] besito
       *[other] besitos
    }.
unknown-recipient = 🎩 Lucien does not know { $name }. Use /gift @username amount.
already-handled = 🎩 Lucien already took care of this a moment ago.
slow-down = 🎩 Lucien: Slowly, I beg you. That is too many requests in a row: the next ones will not be served. Try again in { $seconds } s.
slow-down-reactions = 🎩 Lucien: Your reactions are coming too fast: those of the next { $seconds } s will not count.

## Refusals: why not

refused = 🎩 Lucien bows his head: that is not possible ({ $reason })
why-non-positive-amount = the amount must be positive, not { $amount }
why-amount-too-large = { $amount } is over the maximum of { $max }
why-insufficient-funds = not enough besitos: balance { $balance }, needed { $needed }
why-insufficient-items = not enough “{ $item }”: you have { $have }, need { $needed }
why-too-many-items = you cannot hold any more “{ $item }”
why-stale-choice = that button is from an earlier page of the story
why-unknown-choice = that choice is not offered here
why-requirements-not-met = you do not meet the requirements yet
why-already-claimed-today = today's gift was already claimed; come back tomorrow
why-gift-to-self = a gift is for someone else
why-gift-too-large = a gift cannot exceed { $max } { $max ->
        [one] besito
       *[other] besitos
    }
why-too-many-gifts-today = at most { $max } { $max ->
        [one] gift
       *[other] gifts
    } a day
why-daily-reaction-limit = you were already paid for { $limit } { $limit ->
        [one] reaction
       *[other] reactions
    } today
why-already-rewarded = that reaction was already rewarded
why-unknown-post = that post is not one of our channels'
why-not-a-story-page = that message shows no page of the story
why-unknown-shop-item = that item is not in the shop
why-not-on-sale = that item is not on sale now
why-not-sold-for-besitos = that item is not sold for besitos
why-not-sold-for-stars = that item is not sold for Stars
why-already-owned = you already have it; it can be bought only once
why-sold-out = sold out
why-price-changed = the price has changed; it is now { $price }
why-too-many-purchase-attempts = at most { $max } purchase { $max ->
        [one] attempt
       *[other] attempts
    } an hour
why-daily-cap-reached = you already received today's maximum of { $cap } { $cap ->
        [one] besito
       *[other] besitos
    } for { $reason }
why-unknown-charge = no such payment
why-unknown-item = there is no item { $item }
why-unknown-auction = there is no such auction
why-auction-running = the auction is still running
why-auction-closed = the auction has closed
why-auction-cancelled = the auction was cancelled
why-bid-too-low = the minimum bid is now { $minimum } { $minimum ->
        [one] besito
       *[other] besitos
    }
why-no-such-hold = that bid is no longer held
why-usage = usage: { $command ->
        [buy] /buy <item>
        [gift] /gift @username 10
        [bid] /bid <auction> <besitos>
        [open-auction] /auction <item> <starting bid> <minutes, or seconds as 90s> [increment]
        [cancel-auction] /cancelauction <auction>
        [refund] /refund <telegram_payment_charge_id>
        [grant] /grant <user id> <besitos>
        [deduct] /deduct <user id> <besitos>
        [grant-vip] /grantvip <user id> <days>
        [role] /role grant <user> <role> [days] · /role revoke <user> <role>
        [audit] /audit [1-50]
        [code] /code <secret code>
        [stats] /stats [report [since YYYY-MM-DD [until YYYY-MM-DD]]], report being one of activity|retention|funnel|revenue|story|decisions|levels|experiences|economy|faucets|holders|posts|operations|offers|experiments
        [export] /export report [since YYYY-MM-DD [until YYYY-MM-DD]], report being one of activity|retention|funnel|revenue|story|decisions|levels|experiences|economy|faucets|holders|posts|operations|offers|experiments
        [insights] /insights [YYYY-MM-DD]
        [flag] /flag <name> <percent|reset> · /flags
        [player] /player <user id>
       *[other] /{ $command }
    }
why-auction-too-short = an auction must last at least { $seconds } s
why-auction-too-long = an auction lasts at most { $days } days
why-not-stars = the price is in Telegram Stars (XTR), not { $currency }
why-invalid-invoice = this invoice is not valid; ask for a new one from the shop
why-shop-busy = the shop is busy; try again in a moment
why-not-delivered = the purchase could not be delivered
why-unknown-fragment = the story has no fragment { $fragment }
why-unavailable = it cannot be looked up now: { $detail }
button-forged = Lucien examines the button and frowns: it is not valid.
button-expired = This button has expired. Type /menu to open a fresh one.

## Operators

operator-report = ✅ Done. User { $user }: balance { $balance } { $balance ->
        [one] besito
       *[other] besitos
    }.
posts-title = 📊 Latest posts
posts-none = No posts in the channels yet.
post-line = #{ $id }{ $vip } “{ $excerpt }”
engagement = { $reactions } { $reactions ->
        [one] reaction
       *[other] reactions
    } · { $reactors } { $reactors ->
        [one] person
       *[other] people
    } · { $besitos } { $besitos ->
        [one] besito
       *[other] besitos
    }
story-pages-title = 📖 Story pages most reacted to
reloaded = ✅ Content reloaded: { $fragments } { $fragments ->
        [one] fragment
       *[other] fragments
    } live.
reload-refused = ❌ Content refused; the previous content stays live.

## Story

open-story = 📖 Open the story
not-in-story = 📖 You have not entered the house yet.
story-ending = 🏁 <i>The end of this path.</i>
story-restart = ↺ Begin again
story-history = 📜 Path
back-to-story = « Back to the story
become-vip = 💎 Become VIP
story-locked = 🔒 <b>You cannot choose that yet.</b> You need:
vip-door =
    💎 <b>A VIP chapter</b>

    <i>{ $preview }</i>

    🎩 Lucien stops at the door: “Beyond this point, the lady receives only her closest guests.” Chapters 4 to 6 are for VIP members.
history =
    📜 <b>Your path</b>
    Fragments read: { $read }
    Secrets: { $secrets } of { $secrets_total }
    Endings reached: { $endings }

    Last steps:
vip-active =
    💎 <b>VIP</b>
    Your membership is active ({ $days } more { $days ->
        [one] day
       *[other] days
    }). Chapters 4 to 6 await you.
vip-inactive =
    💎 <b>VIP</b>
    Chapters 4 to 6 of the story and the VIP channel are for members. A trial invitation can be had in the shop; an operator may also grant one.
lack-flag = an earlier step of the story
lack-forbidden = nothing: an earlier decision closed this path
lack-vip = a VIP membership
lack-item = { $item } ×{ $needed } (you have { $have })
lack-achievement = the achievement “{ $name }”
lack-experience = to complete “{ $name }”
lack-besitos = { $needed } { $needed ->
        [one] besito
       *[other] besitos
    } (you have { $have })
lack-level = level { $needed } (you are at { $have })
lack-one-of = one of these:
or = { " " }or{ " " }
hint-shop = in the shop: { $name }
hint-mission = mission “{ $name }”
hint-achievement = { $name }
hint-experience = experience “{ $name }”
hint-decision = by choosing “{ $name }” in the story
hint-react = by reacting to the channel's posts
hint-vip = by subscribing to the VIP channel

## Shop

shop-title =
    🛍️ <b>Lucien's shop</b> — { $shelf }
    Balance: { $balance } { $balance ->
        [one] besito
       *[other] besitos
    } · page { $page } of { $pages }
shop-all = All
shelf-empty = Nothing on this shelf, for now.
rarity = { $rarity ->
        [common] common
        [rare] rare
        [epic] epic
       *[legendary] legendary
    }
item-price = Price: { $price }
item-discount = <i>(−{ $percent }%, was { $was })</i>
item-left = Left: { $left }
item-includes = Includes:
item-owned = ✅ You have bought it before.
item-owned-unique = ✅ It is yours already (one of a kind).
item-lacks = 🔒 To buy it you still need:
buy-besitos = Buy for { $price } { $price ->
        [one] besito
       *[other] besitos
    }
buy-stars = Pay { $price } ⭐
back-to-shop = « Shop
bought = 🛍️ <b>{ $name }</b> is yours. Lucien wraps it with care.
stars-paid = ⭐ Payment received: <b>{ $name }</b> is yours.
paid-twice = ↩️ <b>{ $name }</b> was paid already: the { $stars } ⭐ of the second payment are back with you.
balance-line = Balance: { $balance } { $balance ->
        [one] besito
       *[other] besitos
    }
purchase-in-flight = ⏳ Your payment is made; Lucien will hand you the item in a moment.
money-back = Your besitos were returned.
reward-besitos = { $count } { $count ->
        [one] besito
       *[other] besitos
    }
reward-experience-points = { $count } experience
reward-vip-days = { $count } { $count ->
        [one] day
       *[other] days
    } of VIP
reward-fragment = a memory: { $name }
reward-experience = an experience: { $name }
reward-shop-item = access to { $name } in the shop
refunded = ↩️ Refunded: the Stars go back to user { $user }; what “{ $item }” gave was taken back.
refund-failed = ↩️ Could not refund: { $why }
refund-no-payment = there is no payment with charge id { $charge }
refund-already-done = it was already refunded
refund-telegram = Telegram refused it: { $error }

## Auctions

auctions-title = 🔨 <b>Live auctions</b>
auctions-none = There are no open auctions right now.
auction-title =
    🔨 <b>Auction #{ $id }</b>
    { $item } × { $quantity }
auction-top-bid = Top bid: { $amount } { $amount ->
        [one] besito
       *[other] besitos
    }
auction-no-bids = No bids yet; starting at { $amount } { $amount ->
        [one] besito
       *[other] besitos
    }
auction-open =
    Minimum bid: { $minimum } { $minimum ->
        [one] besito
       *[other] besitos
    }
    Closes in: { $left }
    Your balance: { $balance } { $balance ->
        [one] besito
       *[other] besitos
    }
auction-leading = ✅ You are winning.
auction-closed = The auction has closed.
auction-closed-won = 🏆 The auction has closed: you won it.
auction-cancelled = The auction was cancelled.
bid-button = 🔨 Bid { $amount }
refresh = 🔄 Refresh
back-to-auctions = « Auctions
bid-accepted = ✅ Bid accepted: { $amount } { $amount ->
        [one] besito
       *[other] besitos
    }.
bid-extended = The auction is extended by { $seconds } s.
bid-refused = ❌ Bid refused: { $reason }
outbid = 🔨 You were outbid in auction #{ $id } ({ $item }): the top bid is now { $top } { $top ->
        [one] besito
       *[other] besitos
    }. { $refunded ->
        [one] Your besito is
       *[other] Your { $refunded } besitos are
    } back in your balance.
won = 🏆 You won auction #{ $id }! { $item } × { $quantity } is in your inventory, for { $amount } { $amount ->
        [one] besito
       *[other] besitos
    }.
auction-refunded = 🔨 Auction #{ $id } ({ $item }) was cancelled. { $amount ->
        [one] Your besito is
       *[other] Your { $amount } besitos are
    } back in your balance.
bid-again = 🔨 Bid again
see-inventory = 🎒 See inventory
auction-created = ✅ Auction #{ $id } open: { $item } × { $quantity }, starting at { $starting } { $starting ->
        [one] besito
       *[other] besitos
    }, increment { $increment }, closes in { $left }.
auction-cancel-report = ✅ Auction #{ $id } cancelled; { $refunded } { $refunded ->
        [one] bid
       *[other] bids
    } refunded.
duration-seconds = { $seconds } s
duration-minutes = { $minutes } min { $seconds } s
duration-hours = { $hours } h { $minutes } min

## Operator roles and the audit log (roles)

why-not-permitted = your role does not allow you to { $permission ->
        [content_reload] reload the content
        [grants] grant or deduct besitos and items
        [vip_grants] grant VIP
        [refunds] refund payments
        [auctions] open or cancel auctions
        [channel] manage the channels
        [analytics] see reports
        [roles] manage roles
        [audit] read the audit log
        [flags] change feature flags
       *[other] do this ({ $permission })
    }; nothing was changed
why-unknown-role = there is no role { $role } (see roles.toml)
why-role-beyond-yours = only an owner may grant or revoke the role { $role }
role-granted = ✅ User { $user } now holds the role { $role }, for good.
role-granted-until = ✅ User { $user } now holds the role { $role } until { $until } UTC.
role-revoked = ✅ User { $user } no longer holds the role { $role }.
role-not-held = User { $user } did not hold the role { $role }; nothing was changed.
roles-title = 🛡 Operators
roles-owner = { $user } · owner (every permission)
roles-none = Nobody holds a role now.
roles-line = { $user } · { $role } ({ $permissions }) · for good
roles-line-until = { $user } · { $role } ({ $permissions }) · until { $until } UTC
audit-title = 📜 Audit log: { $count ->
        [one] the last action
       *[other] the last { $count } actions
    }
audit-none = No operator actions yet.
audit-line = { $at } · { $operator } · { $action } { $target } “{ $args }” → { $outcome ->
        [done] done
        [refused] refused
       *[failed] failed
    }

## Operator statistics (/stats, /export)

stats-overview = 📊 <b>Overview of { $day }</b> (UTC)
    Active: { $dau } today · { $wau } in 7 days · { $mau } in 30 days
    Last 7 days: { $registered } registered → { $engaged } engaged → { $purchasers } purchasers → { $vip } VIP
    Revenue in 7 days: { $stars } ⭐ net · ARPPU { $arppu } ⭐
    Besitos in circulation: { $supply } ({ $net } today)
    One report: /stats &lt;report&gt; · as CSV: /export &lt;report&gt;
stats-report-title = 📊 <b>{ $title }</b> · { $since } → { $until }
stats-report-empty = No data in that period.
stats-report-more = … and { $rows } more rows: /export { $report } brings them all.
export-caption = 📎 { $title } · { $since } → { $until } · { $rows } rows

## VIP: subscriptions and channels (issue 15)

vip-title = 💎 <b>VIP</b>
vip-status-active = Plan: <b>{ $plan }</b>, paid until { $date } ({ $days ->
        [one] { $days } day left
       *[other] { $days } days left
    }).
vip-status-renews = Renews by itself on { $date }.
vip-status-canceled = Renewal cancelled: you will not be charged again.
vip-status-grace = ⏳ Your paid period ended. You stay in the circle until { $date }: renew to keep your place.
vip-status-lifetime = Plan: <b>{ $plan }</b>. For good.
vip-status-none = Chapters 4 to 6 of the story and the VIP channel are for members.
vip-plan-line =
    • <b>{ $name }</b> — { $stars } ⭐ { $kind ->
        [monthly] every 30 days
        [annual] for { $days } days
       *[lifetime] once
    }
      <i>{ $description }</i>
vip-no-plans = No plans are on sale right now.
vip-buy = { $name } · { $stars } ⭐
vip-cancel-renewal = ✋ Cancel renewal
vip-resume-renewal = 🔁 Resume renewal
vip-get-link = 🔗 My link to the VIP channel
vip-renew = 💎 Renew
vip-plan-trial = trial invitation
vip-paid = 💎 <b>Welcome to Diana's circle.</b> { $plan } until { $date }.
vip-paid-lifetime = 💎 <b>Welcome to Diana's circle.</b> { $plan }: your place never expires.
vip-link-coming = Your personal link to the VIP channel is on its way.
vip-renewal-bonus = 🎁 Renewal bonus: +{ $amount } { $amount ->
        [one] besito
       *[other] besitos
    }.
vip-link = 🔗 Your personal link to the VIP channel: it admits one person and expires in { $hours } h.
vip-join-channel = 🚪 Enter the VIP channel
vip-already-member = You are already in the VIP channel.
vip-reminder = ⏳ Your VIP { $renews ->
        [yes] renews
       *[no] ends
    } in { $days ->
        [one] { $days } day
       *[other] { $days } days
    } ({ $date }).
vip-expired = ⏳ Your VIP period ended. You keep your place in the channel until { $date }: renew before then so as not to lose it.
vip-lapsed = Your VIP membership is over and you have left the VIP channel. Your story progress is all still there; come back whenever you like.
vip-members-only = 💎 The VIP channel is for members only. These are the plans:
vip-renewal-set = { $canceled ->
        [yes] Renewal cancelled. You stay VIP until { $date }.
       *[no] Renewal resumed: it renews on { $date }.
    }
vip-invoice-title = 💎 { $name }
vip-link-name = VIP { $user }
free-welcome = 🌙 Welcome to Diana's channel, { $name }. Whenever you want to follow the story, write /start to me.
why-unknown-vip-plan = that VIP plan is not on sale
why-no-subscription = you have no running VIP subscription
why-not-vip = it is for VIP members only
why-lifetime-member = you are a VIP member for life already; there is nothing more to buy
why-already-subscribed = you already have a monthly VIP subscription that renews by itself
why-telegram-unavailable = Telegram did not answer; try again in a moment

## Channel content: broadcasts, the opt-out, deep links, teasers.
broadcast-message = 📣 { $text }
broadcast-created = 📣 Broadcast #{ $id } started: { $audience ->
        [one] { $audience } player will receive it
       *[other] { $audience } players will receive it
    }. You will hear when it is done; /broadcasts shows how it goes.
broadcast-done = 📣 Broadcast #{ $id } done: { $sent } sent, { $skipped } skipped (opted out), { $failed } failed (blocked the bot), { $unknown } unconfirmed.
broadcasts-title = 📣 <b>Broadcasts</b>
broadcasts-none = None yet.
broadcasts-line = #{ $id } { $status ->
        [running] ⏳ running
       *[done] ✅ done
    }: { $sent } sent, { $skipped } skipped, { $failed } failed, { $unknown } unconfirmed — “{ $excerpt }”
news-off = 🔕 You will no longer receive Lucien's broadcasts. To get them again: /news on
news-on = 🔔 You receive Lucien's broadcasts. To stop them: /news off
teaser-title = ✨ <b>{ $title }</b>
teaser-button = 📖 Read on
teaser-published = ✅ Teaser of { $fragment } published (message { $message }); reactions on it pay.
teaser-failed = ❌ The teaser of { $fragment } was not published: { $reason ->
        [no-channel] that channel is not configured
        [no-username] the bot does not know its username yet
       *[other] Telegram did not accept it
    }.
post-scheduled = 🗓 Post #{ $id } scheduled for { $when } UTC in the { $channel ->
        [vip] VIP
       *[free] free
    } channel; /scheduled shows how it goes.
post-scheduled-no-channel = ❌ No { $channel ->
        [vip] VIP
       *[free] free
    } channel is configured: nothing was scheduled.
scheduled-title = 🗓 <b>Scheduled posts</b>
scheduled-none = None yet.
scheduled-line = #{ $id } { $when } UTC { $status ->
        [scheduled] ⏳ scheduled
        [sending] 📤 sending
        [published] ✅ published
        [failed] ❌ refused by Telegram
       *[unknown] ❔ unconfirmed
    } — “{ $excerpt }”
channel-usage = usage: { $command ->
        [broadcast] /broadcast <text>
        [teaser] /teaser <fragment> [vip]
        [news] /news on|off
        [schedule] /schedule <minutes> [vip] <text>
       *[other] /{ $command }
    }
why-fragment-not-reached = you have not reached that part of the story yet

## Experiences

button-experiences = 🧭 Experiences
experiences-title = 🧭 <b>Experiences</b>
experiences-none = No experiences for you yet.
experiences-running = In progress
experiences-available = Available
experiences-completed = Completed
experience-next = Next: { $next }
experience-time-left = ⏳ { $hours } h left
experience-step = { $kind ->
        [fragment] Read “{ $name }”
        [decision] Choose “{ $name }”
        [mission] Mission “{ $name }”
        [purchase] Buy “{ $name }”
        [achievement] Achievement “{ $name }”
        [reaction] React { $count } times ({ $done }/{ $count })
        [item] Hold { $count } × { $name }
        [spend] Spend { $count } besitos ({ $done }/{ $count })
       *[experience] Complete “{ $name }”
    }
experience-start = ▶️ Start
experience-locked = 🔒 To start it you still need:
experience-vip-only = 💎 This experience is for VIP members.
experience-abandon = ✖️ Abandon
experience-abandon-confirm = Are you sure you want to abandon it? This run's progress will be lost.
experience-abandon-yes = ✖️ Yes, abandon
experience-done = ✅ You completed it.
experience-given-up = ✖️ You left it unfinished; it cannot be started again.
back-to-experiences = ⬅️ Experiences
experience-started = 🧭 The experience “{ $name }” begins.
experience-step-done = ✨ One more step in “{ $name }”: { $bar }
experience-completed = 🎉 Experience complete: “{ $name }”!
experience-expired = ⌛ Time ran out for “{ $name }”.
experience-part-of = Part of the experience “{ $name }”
why-unknown-experience = there is no such experience
why-experience-running = it is already under way
why-experience-not-repeatable = that experience cannot be repeated
why-experience-not-running = that experience is not under way

## Lore: the backpack, secrets and codes

backpack-title = 🧩 <b>Backpack</b> — { $found } of { $total } { $total ->
        [one] clue
       *[other] clues
    } · { $revealed } of { $secrets } { $secrets ->
        [one] secret
       *[other] secrets
    }
backpack-empty = You have found no clue yet. Read the story closely: the house hides them in its corners.
backpack-how = Tap a clue to read and choose it; combine those you think belong together.
backpack-piece = 🔎 <b>{ $name }</b>: { $text }
backpack-revealed = ✨ { $name }
button-combine = 🧪 Combine ({ $count })
button-clear = ✖️ Drop all
button-read-secret = 📜 { $name }
button-backpack = 🧩 Backpack
lore-found = 🧩 Clue found: <b>{ $name }</b> — /backpack
secret-revealed = ✨ <b>Secret revealed: { $name }</b>
wrong-combination = ❌ These clues reveal nothing.
combine-hint = 💡 { $hint }
combine-missing = { $count ->
        [one] { $count } clue is
       *[other] { $count } clues are
    } still missing.
combine-extra = Does not belong: { $names }
code-redeemed = 🔑 Code accepted.
code-unknown = 🔑 That code opens nothing. { $left ->
        [0] No tries left today.
        [one] { $left } try left today.
       *[other] { $left } tries left today.
    }
reward-lore = 🧩 a clue: { $name }
why-piece-not-held = that clue is not in your backpack
why-too-few-pieces = choose at least two clues to combine them
why-wrong-combination = those clues reveal nothing
why-already-revealed = that secret is already revealed
why-code-already-used = you already used that code
why-code-expired = that code has expired
why-too-many-code-tries = you tried { $max } unknown codes today; come back tomorrow
why-unknown-lore-piece = there is no such clue

## Alerts and daily insights (operators)

alert-rule-p95 = p95 of { $operation } (ms)
alert-rule-errors = failed updates per minute (dead letters, not durable)
alert-rule-flusher-lag = writes waiting for a commit (s)
alert-rule-failed-payments = failed Stars payments in the last hour
alert-rule-inflation = besitos inflation today (%)
alert-every-operation = each operation
alert-fired = 🚨 <b>Alert</b>: { $rule } is { $value } (threshold { $threshold }). You will hear again when it clears.
alert-resolved = ✅ <b>Resolved</b>: { $rule } is back under its threshold (firing since { $since } UTC).
alert-suppressed = 🔕 { $count ->
        [one] { $count } more alert was
       *[other] { $count } more alerts were
    } held back by the hourly limit; /alerts shows what fires now.
alerts-title = 🚨 <b>Alert rules</b> · checked every { $check } s over the last { $window } s · at most { $max } messages an hour
alerts-rule = • { $rule } above { $threshold }
alerts-none-firing = Nothing is firing.
alerts-firing-title = <b>Firing now</b>:
alerts-firing = 🔴 { $rule }: { $value }, since { $since } UTC
insights-title = 🔎 <b>Insights of { $day }</b> (UTC)
insights-none = — none
insights-stops = <b>Where players stop</b>
insights-stop = • { $fragment }: { $dropped } of { $reached } stopped there
insights-high-value = <b>High-value players</b> (Stars, net, ever)
insights-spender = • player { $player }: { $stars } ⭐
insights-vips = <b>VIPs at risk</b>
insights-vip-expiring = • player { $player }: VIP ends { $until } UTC
insights-vip-inactive = • player { $player }: VIP, quiet for { $days ->
        [one] { $days } day
       *[other] { $days } days
    }
insights-economy = <b>Economy</b>
insights-inflation = ⚠️ besitos inflation of { $percent } % that day
insights-concentration = ⚠️ the { $holders } richest players hold { $percent } % of the besitos
insights-summary = 🔎 <b>Insights of { $day }</b>: { $stops ->
        [one] { $stops } fragment
       *[other] { $stops } fragments
    } where players stop (most at { $fragment }), { $vips ->
        [one] { $vips } VIP
       *[other] { $vips } VIPs
    } at risk, { $warnings ->
        [one] { $warnings } economy warning
       *[other] { $warnings } economy warnings
    }. Details: /insights
insights-not-yet = No insights yet: they are computed every day at 00:00 UTC.
## Dashboard: the /panel link in Telegram, then the web pages' words.
panel-link = 🔐 Your link to the dashboard, for one use within { $minutes } min:
    { $url }
panel-link-button = Open the dashboard
panel-title = DianaBot · Dashboard
panel-overview = Overview
panel-insights = Insights and alerts
panel-since = From
panel-until = to
panel-show = Show
panel-refresh = refresh every { $seconds } s
panel-download-csv = Download CSV
panel-no-data = No data in that period.
panel-signed-in-as = Operator { $operator }
panel-logout = Log out
panel-logged-out = You have left the dashboard. Send /panel to the bot to come back.
panel-enter-prompt = This link opens the dashboard once, and only for a few minutes.
panel-enter = Open the dashboard
panel-login-needed = To open the dashboard, send /panel to the bot: it answers with a login link.
panel-link-refused = This link has expired or was used already. Send /panel to the bot for a new one.
panel-not-permitted = Your role does not let you read the analytics.
panel-form-expired = This form has expired. Reload the page and try again.
panel-bad-period = Days are written YYYY-MM-DD, the first not after the last.
panel-not-found = There is no such page.
panel-unavailable = The numbers cannot be read right now (the database does not answer). Try again in a moment.
## Community games: trivia and timed events.
button-trivia = 🧠 Trivia
button-events = 🎉 Events
button-trivia-continue = ▶️ Back to the question
button-trivia-start = ▶️ { $name }
trivia-title = 🧠 <b>Trivia</b> — { $left } of { $max } { $max ->
        [one] set
       *[other] sets
    } left today · best streak { $best }
trivia-none = No trivia sets yet.
trivia-set = • <b>{ $name }</b>{ $vip ->
        [yes] {" "}⭐ VIP
       *[no] {""}
    } — { $questions } { $questions ->
        [one] question
       *[other] questions
    }, up to { $reward } besitos
trivia-question = 🧠 <b>{ $name }</b> — question { $number } of { $total } ({ $difficulty ->
        [easy] easy
        [hard] hard
       *[medium] medium
    }, { $points } pts)
    ⏱ { $seconds } s to answer

    { $text }
trivia-right = ✅ Right! +{ $points } pts · streak { $streak }
trivia-wrong = ❌ Wrong — it was <b>{ $answer }</b>. Streak reset.
trivia-late = ⌛ Too late: that answer does not count. It was <b>{ $answer }</b>. Streak reset.
trivia-finished = 🏁 <b>{ $name }</b> done: { $correct } of { $questions } right, { $score } pts.
    Reward: { $reward } besitos · best streak { $best } · balance { $balance }
event-effect = { $kind ->
        [reactions] reactions pay ×{ $multiplier }
        [trivia] +{ $extra } { $extra ->
            [one] set
           *[other] sets
        } a day, points ×{ $multiplier }
       *[leaderboard] leaderboard sprint ×{ $multiplier }
    }
event-banner = 🎉 <b>{ $name }</b>: { $effect } until { $until }
events-title = 🎉 <b>Events</b>
events-none = No events now or coming.
event-line = { $running ->
        [yes] 🟢 running
       *[no] 🗓 coming
    } <b>{ $name }</b>: { $effect }
    { $from } → { $until }
why-unknown-trivia-set = that trivia set does not exist
why-trivia-quota = you have played your { $max } { $max ->
        [one] trivia set
       *[other] trivia sets
    } today; more from { $resets }
why-trivia-question-gone = that question is no longer being asked
why-trivia-already-answered = you already answered that question

## Community games: referrals.
button-invite = 💌 Invite friends
invite = 💌 <b>Invite friends</b>
    Your link: { $link }
    When a friend who joins through it takes { $decisions } story { $decisions ->
        [one] decision
       *[other] decisions
    }, you earn { $inviter } besitos and your friend { $invitee }. Up to { $cap } paid invitations a month.
    Invitations settled: { $settled }
invite-unavailable = 💌 Invitations are not open right now.
referral-joined = 💌 A friend invited you: take { $decisions } story { $decisions ->
        [one] decision
       *[other] decisions
    } and you both earn besitos ({ $reward } for you).
referral-reached = 💌 Invitation fulfilled: +{ $reward } besitos. Your friend gets theirs too.
referral-paid = 💌 A friend you invited reached the milestone: +{ $reward } besitos. Balance: { $balance }
referral-capped = 💌 A friend you invited reached the milestone, but you already had { $cap } paid invitations this month.
why-referral-not-new = an invitation counts only for a new player
why-self-referral = you cannot invite yourself
## Leaderboards.
leaderboard-title = 🏆 <b>{ $name }</b>
leaderboard-weekly = This week: closes Monday at 00:00 UTC ({ $days ->
        [one] { $days } day left
       *[other] { $days } days left
    }).
leaderboard-all-time = All time.
leaderboard-row = { $rank }. { $name } — { $score }
leaderboard-someone = (player)
leaderboard-empty = Nobody has scored yet.
leaderboard-you = You: rank { $rank } of { $players }, with { $score }.
leaderboard-you-none = You have no points on this board yet.
leaderboard-prizes = Prizes at the close: { $prizes } besitos.
leaderboard-ties = Ties go to whoever reached the score first.
leaderboard-none = There are no leaderboards yet.
leaderboard-prize-won = 🏆 Rank { $rank } on “{ $name }”! You get { $besitos } besitos.
button-leaderboards = 🏆 Leaderboards

## flags: the player's style, feature flags, a player's record
archetype-name = { $archetype ->
        [narrative_lover] Narrative lover
        [collector] Collector
        [competitive] Competitor
        [social] Social
       *[completionist] Completionist
    }
profile-style = 🎭 Your style: <b>{ $style }</b> (/style)
profile-style-unknown = 🎭 Your style: still to be discovered. Keep playing.
style-title = 🎭 <b>Your style</b>
style-is = Lucien has been watching closely: you play as a <b>{ $style }</b>.
style-none = Lucien cannot yet tell your style. Read, decide, collect… and it will show.
style-score = { $archetype }: { $bar }
button-style = 🎭 Your style
flags-title = 🚩 <b>Flags</b> ({ $count })
flags-none = There are no flags (flags.toml).
flag-rollout = <b>{ $name }</b> — { $rollout } %
flag-override = { $content } % in flags.toml; changed by { $by } on { $at } UTC
flag-audience = audience: { $audience }
audience-all = everyone
audience-vip = { $vip ->
        [yes] VIP only
       *[no] free players only
    }
audience-languages = languages { $languages }
audience-users = { $count ->
        [one] { $count } listed player
       *[other] { $count } listed players
    }
flag-variants = variants: { $variants }
flag-orphan = <b>{ $name }</b> — stored change to { $rollout } %, ignored: flags.toml no longer defines it
flag-set = ✅ Flag <b>{ $name }</b>: { $rollout } % (was { $before } %; { $content } % in flags.toml). Live now, no restart.
flag-reset = ✅ Flag <b>{ $name }</b>: back to the { $rollout } % of flags.toml (was { $before } %).
why-unknown-flag = there is no flag { $flag } (see /flags)
reload-ignored-overrides = Flag changes ignored (flags.toml no longer defines them): { $flags }
player-title = 👤 <b>Player { $user }</b> — { $name }
player-unknown = There is no player { $user }.
player-style = Style: <b>{ $style }</b>, { $confidence } % confidence
player-style-none = Style: not yet defined (points { $total }, minimum { $min })
player-score = { $archetype }: { $score }
player-flags = <b>Flags</b>
player-flag = { $name }: { $variant }
player-flag-off = { $name }: no
panel-player = Player { $user }
## offers: contextual offers.
offer-card = 🎁 <b>{ $name }</b>
    { $text }

    Price: { $price } · { $left } left
offer-free = free of charge
offer-price-besitos = { $amount } besitos
offer-price-stars = { $amount } ⭐
button-offer-buy = 🛍 Buy
button-offer-accept = 🗝 Accept
offers-title = 🎁 <b>Offers for you</b>
offers-line = { $name } · { $left }
offers-none = 🎁 You have no open offers right now.
offer-trial-taken = 🗝 Done: { $days } { $days ->
        [one] day
       *[other] days
    } of access to Diana's salon.
why-unknown-offer = that offer does not exist for you
why-offer-expired = that offer has expired
why-offer-taken = that offer was already taken
## offers-bundle
offer-bundle-contents = The bundle holds:{ $items }
offer-bundle-item = • { $name }
why-bundle-item-owned = you already have “{ $item }”, which is in this bundle; the bundle is sold whole, so it is not charged to you

## panel-flags: the dashboard's Flags page
panel-flags = Feature flags
panel-flags-intro = A flag is on for the share of its audience under “Live now”. A change is stored, written to the audit log and live at once, with no restart; “Back to flags.toml” undoes it.
panel-flag-name = Flag
panel-flag-content = In flags.toml
panel-flag-live = Live now
panel-flag-changed = Changed by
panel-flag-audience = Audience
panel-flag-variants = Variants (weight)
panel-flag-change = Change
panel-flag-changed-by = operator { $by }, { $at } UTC
panel-flag-orphan = { $rollout } % stored, ignored: flags.toml no longer defines it
panel-flag-percent = Rollout in percent, 0 to 100
panel-flag-set = Set
panel-flag-reset = Back to flags.toml
panel-flag-refused = Refused: { $reason }.
panel-flag-bad-percent = “{ $value }” is not a rollout: write a percentage from 0 to 100 with at most two decimals (30, 12.5). Nothing was changed.
panel-flag-not-stored = The change could not be stored (the database does not answer): nothing was changed. Try again in a moment.
panel-flag-not-audited = The change is live, but the audit log could not record it (the database does not answer). Send it again in a moment: repeating it is safe, and it is then recorded.
