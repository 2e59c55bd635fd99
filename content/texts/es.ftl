# Textos del bot en español (Fluent: https://projectfluent.org/).
# Las variables ({ $nombre }) las pone el servidor; `dianabot content check`
# avisa de una clave que falte en un idioma o de una variable desconocida.
# Los textos son HTML de Telegram: <b>, <i> y <pre> están permitidos.

## Bienvenida y menú

welcome =
    🎩 <b>Lucien</b>: Bienvenido, { $name }. Soy Lucien, mayordomo de esta casa.

    Diana le espera… pero antes, permítame un obsequio: <b>{ $balance } { $balance ->
        [one] besito
       *[other] besitos
    }</b> para el camino.
welcome-back = 🎩 <b>Lucien</b>: Qué alegría verle de nuevo, { $name }.
follow-lucien = Seguir a Lucien →
onboarding =
    🎩 <b>Lucien</b>: En esta casa cada gesto cuenta. Los <b>besitos</b> son su moneda: se ganan reaccionando a las publicaciones del canal, leyendo la historia y cumpliendo misiones, y se gastan en la tienda.

    Cuando guste, abra el menú.
open-menu = Abrir el menú
menu =
    🏛 <b>Menú principal</b>
    Saldo: { $balance } { $balance ->
        [one] besito
       *[other] besitos
    }
button-story = 📖 Historia
button-profile = 👤 Perfil
button-inventory = 🎒 Inventario
button-daily-gift = 🎁 Regalo diario
button-shop = 🛍️ Tienda
button-auctions = 🔨 Subastas
button-vip = 💎 VIP
button-help = ❓ Ayuda
button-language = 🌐 Idioma
button-missions = 🎯 Misiones
button-achievements = 🏆 Logros
button-ledger = 💰 Movimientos
back = « Menú
back-to-profile = « Perfil

## Perfil, progreso e inventario

profile =
    👤 <b>Perfil</b>
    Nombre: { $name }
    Idioma: { $language }
    Besitos: { $balance }
    Reacciones: { $reactions }
    Objetos: { $items }
language-name = Español
daily-gift =
    🎁 <b>Regalo del día</b>
    Lucien le entrega { $paid } { $paid ->
        [one] besito
       *[other] besitos
    }. Racha: { $streak } { $streak ->
        [one] día
       *[other] días
    }.
    Saldo: { $balance } { $balance ->
        [one] besito
       *[other] besitos
    }
missions-title = 🎯 <b>Misiones</b>
achievements-title = 🏆 <b>Logros</b> ({ $earned } de { $total })
achievement-unlocked = 🏆 Logro: { $name }
mission-done = 🎯 Misión cumplida: { $name }
inventory-title = 🎒 <b>Inventario</b>
inventory-empty = Aún no tiene objetos.
ledger-title = 💰 <b>Últimos movimientos</b>
ledger-empty = Aún no hay movimientos.
# Por qué se movieron besitos: un motivo del libro de cuentas.
ledger-reason = { $reason ->
        [welcome_bonus] bienvenida
        [reaction] reacción
        [admin_grant] regalo de la casa
        [admin_deduction] ajuste de la casa
        [story_reward] historia
        [story_cost] historia (coste)
        [daily_gift] regalo diario
        [gift_sent] regalo enviado
        [gift_received] regalo recibido
        [gift_refund] regalo devuelto
        [achievement_reward] logro
        [mission_reward] misión
        [purchase] compra
        [purchase_refund] compra devuelta
        [shop_reward] tienda
        [refund_reversal] reembolso de Stars
        [auction_hold] puja en depósito
        [auction_release] puja devuelta
        [auction_won] subasta ganada
        [vip_renewal_bonus] bono de renovación VIP
        [experience_reward] experiencia
        [lore_reward] secreto de la mochila
        [trivia_reward] trivia
        [referral_reward] invitación
        [leaderboard_prize] premio del ranking
       *[other] { $reason }
    }
help =
    ❓ <b>Ayuda</b>
    /menu — menú principal
    /historia — la historia
    /perfil — su perfil y saldo
    /inventario — sus objetos
    /diario — el regalo del día
    /misiones, /logros, /movimientos — su progreso
    /regalar @usuario 10 — regalar besitos
    /tienda — la tienda de Lucien
    /experiencias — sus experiencias
    /subastas — subastas en curso; /pujar 7 50 — pujar 50 besitos en la subasta 7
    /mochila — sus pistas y secretos; /codigo CLAVE — canjear un código secreto
    /trivia — trivia; /eventos — eventos; /invitar — su enlace de invitación
    /ranking — los rankings de la semana y de siempre, y su puesto
    /idioma — cambiar de idioma
    /ayuda — esta ayuda
pick-language = 🌐 Elija su idioma:
language-es = 🇪🇸 Español
language-en = 🇬🇧 English
not-understood = 🎩 Lucien arquea una ceja: no he entendido. Escriba /menu o /ayuda.
not-registered = 🎩 Lucien aún no le conoce. Escriba /start para comenzar.

## Regalos entre jugadores

gift-delivered = 🎁 Ha regalado { $amount } { $amount ->
        [one] besito
       *[other] besitos
    } a { $to }.
gift-in-flight = 🎁 Su regalo de { $amount } { $amount ->
        [one] besito
       *[other] besitos
    } a { $to } está en camino.
gift-refunded = 🎁 { $to } no puede recibir regalos todavía; sus besitos han vuelto a usted.
gift-received = 🎁 { $from } le ha regalado { $amount } { $amount ->
        [one] besito
       *[other] besitos
    }.
unknown-recipient = 🎩 Lucien no conoce a { $name }. Use /regalar @usuario cantidad.
already-handled = 🎩 Lucien ya se ocupó de esto hace un momento.
slow-down = 🎩 Lucien: Despacio, se lo ruego. Son demasiadas peticiones seguidas: las próximas no se atenderán. Vuelva a intentarlo en { $seconds } s.
slow-down-reactions = 🎩 Lucien: Sus reacciones van demasiado deprisa: las de los próximos { $seconds } s no contarán.

## Negativas: por qué no se pudo

refused = 🎩 Lucien inclina la cabeza: no es posible ({ $reason })
why-non-positive-amount = la cantidad debe ser positiva, no { $amount }
why-amount-too-large = { $amount } supera el máximo de { $max }
why-insufficient-funds = no hay besitos suficientes: saldo { $balance }, necesita { $needed }
why-insufficient-items = no tiene suficientes «{ $item }»: tiene { $have }, necesita { $needed }
why-too-many-items = no puede tener más «{ $item }»
why-stale-choice = ese botón es de una página anterior de la historia
why-unknown-choice = esa opción no existe aquí
why-requirements-not-met = aún no cumple lo necesario
why-already-claimed-today = ya recogió el regalo de hoy; vuelva mañana
why-gift-to-self = un regalo es para otra persona
why-gift-too-large = un regalo no puede pasar de { $max } { $max ->
        [one] besito
       *[other] besitos
    }
why-too-many-gifts-today = como mucho { $max } { $max ->
        [one] regalo
       *[other] regalos
    } al día
why-daily-reaction-limit = hoy ya cobró { $limit ->
        [one] su reacción
       *[other] sus { $limit } reacciones
    }
why-already-rewarded = esa reacción ya fue recompensada
why-unknown-post = esa publicación no es de nuestros canales
why-not-a-story-page = ese mensaje no muestra una página de la historia
why-unknown-shop-item = ese artículo no está en la tienda
why-not-on-sale = ese artículo no está a la venta ahora
why-not-sold-for-besitos = ese artículo no se vende por besitos
why-not-sold-for-stars = ese artículo no se vende por Stars
why-already-owned = ya tiene este artículo; solo se puede comprar una vez
why-sold-out = agotado
why-price-changed = el precio ha cambiado; ahora es { $price }
why-too-many-purchase-attempts = como mucho { $max } { $max ->
        [one] intento
       *[other] intentos
    } de compra por hora
why-daily-cap-reached = hoy ya recibió el máximo de { $cap } { $cap ->
        [one] besito
       *[other] besitos
    } por { $reason }
why-unknown-charge = no hay tal pago
why-unknown-item = no existe el objeto { $item }
why-unknown-auction = esa subasta no existe
why-auction-running = la subasta sigue abierta
why-auction-closed = la subasta ya ha cerrado
why-auction-cancelled = la subasta fue cancelada
why-bid-too-low = la puja mínima ahora es { $minimum } { $minimum ->
        [one] besito
       *[other] besitos
    }
why-no-such-hold = esa puja ya no está en depósito
why-usage = se escribe así: { $command ->
        [buy] /comprar <artículo>
        [gift] /regalar @usuario 10
        [bid] /pujar <subasta> <besitos>
        [open-auction] /subasta <objeto> <puja inicial> <minutos, o segundos como 90s> [incremento]
        [cancel-auction] /cancelarsubasta <subasta>
        [refund] /refund <telegram_payment_charge_id>
        [grant] /grant <usuario> <besitos>
        [deduct] /deduct <usuario> <besitos>
        [grant-vip] /grantvip <usuario> <días>
        [role] /rol dar <usuario> <rol> [días] · /rol quitar <usuario> <rol>
        [audit] /auditoria [1-50]
        [code] /codigo <código secreto>
        [stats] /stats [informe [desde AAAA-MM-DD [hasta AAAA-MM-DD]]], con informe uno de activity|retention|funnel|revenue|story|decisions|levels|experiences|economy|faucets|holders|posts|operations|offers|experiments
        [export] /export informe [desde AAAA-MM-DD [hasta AAAA-MM-DD]], con informe uno de activity|retention|funnel|revenue|story|decisions|levels|experiences|economy|faucets|holders|posts|operations|offers|experiments
        [insights] /perspectivas [AAAA-MM-DD]
        [flag] /flag <nombre> <porcentaje|reset> · /flags
        [player] /jugador <id de usuario>
       *[other] /{ $command }
    }
why-auction-too-short = la subasta debe durar al menos { $seconds } s
why-auction-too-long = una subasta dura como mucho { $days } días
why-not-stars = el precio es en Telegram Stars (XTR), no en { $currency }
why-invalid-invoice = esta factura no es válida; pida una nueva en la tienda
why-shop-busy = la tienda está ocupada; inténtelo de nuevo en un momento
why-not-delivered = la compra no se pudo entregar
why-unknown-fragment = la historia no tiene el fragmento { $fragment }
why-unavailable = no se pudo consultar ahora: { $detail }
button-forged = Lucien examina el botón y frunce el ceño: no es válido.
button-expired = Este botón ha caducado. Escriba /menu para abrir uno nuevo.

## Operadores

operator-report = ✅ Hecho. Usuario { $user }: saldo { $balance } { $balance ->
        [one] besito
       *[other] besitos
    }.
posts-title = 📊 Últimas publicaciones
posts-none = Todavía no hay publicaciones en los canales.
post-line = #{ $id }{ $vip } «{ $excerpt }»
engagement = { $reactions } { $reactions ->
        [one] reacción
       *[other] reacciones
    } · { $reactors } { $reactors ->
        [one] persona
       *[other] personas
    } · { $besitos } { $besitos ->
        [one] besito
       *[other] besitos
    }
story-pages-title = 📖 Páginas de la historia más reaccionadas
reloaded = ✅ Contenido recargado: { $fragments } { $fragments ->
        [one] fragmento
       *[other] fragmentos
    } en vigor.
reload-refused = ❌ Contenido rechazado; sigue en vigor el anterior.

## Historia

open-story = 📖 Abrir la historia
not-in-story = 📖 Aún no ha entrado en la casa.
story-ending = 🏁 <i>Fin de este camino.</i>
story-restart = ↺ Empezar de nuevo
story-history = 📜 Recorrido
back-to-story = « Volver a la historia
become-vip = 💎 Ser VIP
story-locked = 🔒 <b>Aún no puede elegir eso.</b> Le falta:
vip-door =
    💎 <b>Un capítulo VIP</b>

    <i>{ $preview }</i>

    🎩 Lucien se detiene ante la puerta: «Más allá, la señora solo recibe a sus invitados más cercanos.» Los capítulos 4 a 6 son para miembros VIP.
history =
    📜 <b>Su recorrido</b>
    Fragmentos leídos: { $read }
    Secretos: { $secrets } de { $secrets_total }
    Finales alcanzados: { $endings }

    Últimos pasos:
vip-active =
    💎 <b>VIP</b>
    Su membresía está activa ({ $days ->
        [one] queda { $days } día
       *[other] quedan { $days } días
    }). Los capítulos 4 a 6 le esperan.
vip-inactive =
    💎 <b>VIP</b>
    Los capítulos 4 a 6 de la historia y el canal VIP son para miembros. Una invitación de prueba se consigue en la tienda; también puede concedérsela un operador.
lack-flag = un paso anterior de la historia
lack-forbidden = nada: una decisión anterior cerró este camino
lack-vip = ser miembro VIP
lack-item = { $item } ×{ $needed } (tiene { $have })
lack-achievement = el logro «{ $name }»
lack-experience = completar «{ $name }»
lack-besitos = { $needed } { $needed ->
        [one] besito
       *[other] besitos
    } (tiene { $have })
lack-level = nivel { $needed } (está en el { $have })
lack-one-of = una de estas cosas:
or = { " " }o{ " " }
hint-shop = en la tienda: { $name }
hint-mission = misión «{ $name }»
hint-achievement = { $name }
hint-experience = experiencia «{ $name }»
hint-decision = eligiendo «{ $name }» en la historia
hint-react = reaccionando a las publicaciones del canal
hint-vip = suscribiéndose al canal VIP

## Tienda

shop-title =
    🛍️ <b>La tienda de Lucien</b> — { $shelf }
    Saldo: { $balance } { $balance ->
        [one] besito
       *[other] besitos
    } · página { $page } de { $pages }
shop-all = Todo
shelf-empty = Nada en este estante, por ahora.
rarity = { $rarity ->
        [common] común
        [rare] rara
        [epic] épica
       *[legendary] legendaria
    }
item-price = Precio: { $price }
item-discount = <i>(−{ $percent } %, antes { $was })</i>
item-left = Quedan: { $left }
item-includes = Incluye:
item-owned = ✅ Ya compró este artículo antes.
item-owned-unique = ✅ Ya está entre sus pertenencias (pieza única).
item-lacks = 🔒 Para comprar este artículo le falta:
buy-besitos = Comprar por { $price } { $price ->
        [one] besito
       *[other] besitos
    }
buy-stars = Pagar { $price } ⭐
back-to-shop = « Tienda
bought = 🛍️ Ahora tiene <b>{ $name }</b>. Lucien le entrega su compra, envuelta con cuidado.
stars-paid = ⭐ Pago recibido: ahora tiene <b>{ $name }</b>.
paid-twice = ↩️ <b>{ $name }</b> ya estaba pagado: le hemos devuelto { $stars } ⭐ del segundo pago.
balance-line = Saldo: { $balance } { $balance ->
        [one] besito
       *[other] besitos
    }
purchase-in-flight = ⏳ Su pago está hecho; Lucien le entregará el artículo en un momento.
money-back = Sus besitos le han sido devueltos.
reward-besitos = { $count } { $count ->
        [one] besito
       *[other] besitos
    }
reward-experience-points = { $count } de experiencia
reward-vip-days = { $count } { $count ->
        [one] día
       *[other] días
    } de VIP
reward-fragment = un recuerdo: { $name }
reward-experience = una experiencia: { $name }
reward-shop-item = acceso a { $name } en la tienda
refunded = ↩️ Reembolsado: las Stars vuelven al usuario { $user }; se retiró lo que «{ $item }» había dado.
refund-failed = ↩️ No se pudo reembolsar: { $why }
refund-no-payment = no hay ningún pago con el identificador { $charge }
refund-already-done = ya estaba reembolsado
refund-telegram = Telegram lo rechazó: { $error }

## Subastas

auctions-title = 🔨 <b>Subastas en curso</b>
auctions-none = No hay subastas abiertas ahora mismo.
auction-title =
    🔨 <b>Subasta #{ $id }</b>
    { $item } × { $quantity }
auction-top-bid = Puja actual: { $amount } { $amount ->
        [one] besito
       *[other] besitos
    }
auction-no-bids = Sin pujas; salida: { $amount } { $amount ->
        [one] besito
       *[other] besitos
    }
auction-open =
    Puja mínima: { $minimum } { $minimum ->
        [one] besito
       *[other] besitos
    }
    Cierra en: { $left }
    Su saldo: { $balance } { $balance ->
        [one] besito
       *[other] besitos
    }
auction-leading = ✅ Usted va ganando.
auction-closed = La subasta ha cerrado.
auction-closed-won = 🏆 La subasta ha cerrado y la ha ganado usted.
auction-cancelled = La subasta fue cancelada.
bid-button = 🔨 Pujar { $amount }
refresh = 🔄 Actualizar
back-to-auctions = « Subastas
bid-accepted = ✅ Puja aceptada: { $amount } { $amount ->
        [one] besito
       *[other] besitos
    }.
bid-extended = La subasta se alarga { $seconds } s.
bid-refused = ❌ Puja rechazada: { $reason }
outbid = 🔨 Le han superado en la subasta #{ $id } ({ $item }): la puja va por { $top } { $top ->
        [one] besito
       *[other] besitos
    }. { $refunded ->
        [one] Su besito ha vuelto
       *[other] Sus { $refunded } besitos han vuelto
    } a su saldo.
won = 🏆 ¡Ha ganado la subasta #{ $id }! { $item } × { $quantity } ya está en su inventario, por { $amount } { $amount ->
        [one] besito
       *[other] besitos
    }.
auction-refunded = 🔨 La subasta #{ $id } ({ $item }) ha sido cancelada. { $amount ->
        [one] Su besito ha vuelto
       *[other] Sus { $amount } besitos han vuelto
    } a su saldo.
bid-again = 🔨 Volver a pujar
see-inventory = 🎒 Ver inventario
auction-created = ✅ Subasta #{ $id } abierta: { $item } × { $quantity }, salida { $starting } { $starting ->
        [one] besito
       *[other] besitos
    }, incremento { $increment }, cierra en { $left }.
auction-cancel-report = ✅ Subasta #{ $id } cancelada; { $refunded ->
        [one] se devolvió { $refunded } puja
       *[other] se devolvieron { $refunded } pujas
    }.
duration-seconds = { $seconds } s
duration-minutes = { $minutes } min { $seconds } s
duration-hours = { $hours } h { $minutes } min

## Roles de operador y registro de auditoría (roles)

why-not-permitted = su rol no le permite { $permission ->
        [content_reload] recargar el contenido
        [grants] conceder ni descontar besitos y objetos
        [vip_grants] conceder VIP
        [refunds] reembolsar pagos
        [auctions] abrir ni cancelar subastas
        [channel] gestionar los canales
        [analytics] ver informes
        [roles] gestionar roles
        [audit] leer la auditoría
        [flags] cambiar las flags
       *[other] esto ({ $permission })
    }; no se ha cambiado nada
why-unknown-role = no existe el rol { $role } (vea roles.toml)
why-role-beyond-yours = solo un propietario puede dar o quitar el rol { $role }
role-granted = ✅ El usuario { $user } tiene ahora el rol { $role }, sin caducidad.
role-granted-until = ✅ El usuario { $user } tiene ahora el rol { $role } hasta el { $until } UTC.
role-revoked = ✅ El usuario { $user } ya no tiene el rol { $role }.
role-not-held = El usuario { $user } no tenía el rol { $role }; no se ha cambiado nada.
roles-title = 🛡 Operadores
roles-owner = { $user } · propietario (todos los permisos)
roles-none = Nadie tiene un rol ahora.
roles-line = { $user } · { $role } ({ $permissions }) · sin caducidad
roles-line-until = { $user } · { $role } ({ $permissions }) · hasta el { $until } UTC
audit-title = 📜 Auditoría: { $count ->
        [one] la última acción
       *[other] las últimas { $count } acciones
    }
audit-none = Todavía no hay acciones de operadores.
audit-line = { $at } · { $operator } · { $action } { $target } «{ $args }» → { $outcome ->
        [done] hecho
        [refused] denegado
       *[failed] fallido
    }

## Estadísticas de operador (/stats, /export)

stats-overview = 📊 <b>Resumen del { $day }</b> (UTC)
    Activos: { $dau } hoy · { $wau } en 7 días · { $mau } en 30 días
    Últimos 7 días: { $registered } registros → { $engaged } implicados → { $purchasers } compradores → { $vip } VIP
    Ingresos en 7 días: { $stars } ⭐ netas · ARPPU { $arppu } ⭐
    Besitos en circulación: { $supply } ({ $net } hoy)
    Un informe: /stats &lt;informe&gt; · en CSV: /export &lt;informe&gt;
stats-report-title = 📊 <b>{ $title }</b> · { $since } → { $until }
stats-report-empty = Sin datos en ese periodo.
stats-report-more = … y { $rows } filas más: /export { $report } las trae todas.
export-caption = 📎 { $title } · { $since } → { $until } · { $rows } filas

## VIP: suscripciones y canales (issue 15)

vip-title = 💎 <b>VIP</b>
vip-status-active = Plan: <b>{ $plan }</b>, pagado hasta el { $date } ({ $days ->
        [one] queda { $days } día
       *[other] quedan { $days } días
    }).
vip-status-renews = Se renueva solo el { $date }.
vip-status-canceled = Renovación cancelada: no se cobrará de nuevo.
vip-status-grace = ⏳ Su periodo pagado terminó. Sigue en el círculo hasta el { $date }: renueve para conservar su lugar.
vip-status-lifetime = Plan: <b>{ $plan }</b>. Para siempre.
vip-status-none = Los capítulos 4 a 6 de la historia y el canal VIP son para miembros.
vip-plan-line =
    • <b>{ $name }</b> — { $stars } ⭐ { $kind ->
        [monthly] cada 30 días
        [annual] por { $days } días
       *[lifetime] una sola vez
    }
      <i>{ $description }</i>
vip-no-plans = No hay planes a la venta ahora mismo.
vip-buy = { $name } · { $stars } ⭐
vip-cancel-renewal = ✋ Cancelar la renovación
vip-resume-renewal = 🔁 Reanudar la renovación
vip-get-link = 🔗 Mi enlace al canal VIP
vip-renew = 💎 Renovar
vip-plan-trial = invitación de prueba
vip-paid = 💎 <b>Bienvenido al círculo de Diana.</b> { $plan } hasta el { $date }.
vip-paid-lifetime = 💎 <b>Bienvenido al círculo de Diana.</b> { $plan }: su lugar no caduca.
vip-link-coming = Enseguida le llega su enlace personal al canal VIP.
vip-renewal-bonus = 🎁 Bono de renovación: +{ $amount } { $amount ->
        [one] besito
       *[other] besitos
    }.
vip-link = 🔗 Su enlace personal al canal VIP: sirve para una sola persona y caduca en { $hours } h.
vip-join-channel = 🚪 Entrar al canal VIP
vip-already-member = Ya está en el canal VIP.
vip-reminder = ⏳ Su VIP { $renews ->
        [yes] se renueva
       *[no] termina
    } en { $days ->
        [one] { $days } día
       *[other] { $days } días
    } ({ $date }).
vip-expired = ⏳ Su periodo VIP terminó. Conserva su lugar en el canal hasta el { $date }: renueve antes para no perderlo.
vip-lapsed = Su membresía VIP terminó y ha salido del canal VIP. Su progreso en la historia sigue intacto; vuelva cuando quiera.
vip-members-only = 💎 El canal VIP es solo para miembros. Estos son los planes:
vip-renewal-set = { $canceled ->
        [yes] Renovación cancelada. Sigue siendo VIP hasta el { $date }.
       *[no] Renovación reanudada: se renovará el { $date }.
    }
vip-invoice-title = 💎 { $name }
vip-link-name = VIP { $user }
free-welcome = 🌙 Bienvenido al canal de Diana, { $name }. Cuando quiera seguir la historia, escríbame /start.
why-unknown-vip-plan = ese plan VIP no está a la venta
why-no-subscription = no tiene una suscripción VIP en curso
why-not-vip = es solo para miembros VIP
why-lifetime-member = ya es miembro VIP para siempre; no hay nada más que comprar
why-already-subscribed = ya tiene una suscripción VIP mensual que se renueva sola
why-telegram-unavailable = Telegram no respondió; inténtelo de nuevo en un momento

## Channel content: broadcasts, the opt-out, deep links, teasers.
broadcast-message = 📣 { $text }
broadcast-created = 📣 Difusión #{ $id } en marcha: { $audience ->
        [one] { $audience } jugador la recibirá
       *[other] { $audience } jugadores la recibirán
    }. Le avisaré al terminar; /difusiones muestra cómo va.
broadcast-done = 📣 Difusión #{ $id } terminada: { $sent } enviados, { $skipped } omitidos (no quieren noticias), { $failed } fallidos (bloquearon el bot), { $unknown } sin confirmar.
broadcasts-title = 📣 <b>Difusiones</b>
broadcasts-none = Aún no hay ninguna.
broadcasts-line = #{ $id } { $status ->
        [running] ⏳ en curso
       *[done] ✅ terminada
    }: { $sent } enviados, { $skipped } omitidos, { $failed } fallidos, { $unknown } sin confirmar — «{ $excerpt }»
news-off = 🔕 Ya no recibirá las difusiones de Lucien. Para volver a recibirlas: /noticias on
news-on = 🔔 Recibe las difusiones de Lucien. Para dejar de recibirlas: /noticias off
teaser-title = ✨ <b>{ $title }</b>
teaser-button = 📖 Seguir leyendo
teaser-published = ✅ Teaser de { $fragment } publicado (mensaje { $message }); las reacciones en él pagan.
teaser-failed = ❌ El teaser de { $fragment } no se publicó: { $reason ->
        [no-channel] ese canal no está configurado
        [no-username] el bot aún no conoce su nombre de usuario
       *[other] Telegram no lo aceptó
    }.
post-scheduled = 🗓 Publicación #{ $id } programada para el { $when } UTC en el canal { $channel ->
        [vip] VIP
       *[free] gratuito
    }; /programados muestra cómo va.
post-scheduled-no-channel = ❌ No hay canal { $channel ->
        [vip] VIP
       *[free] gratuito
    } configurado: no se programó nada.
scheduled-title = 🗓 <b>Publicaciones programadas</b>
scheduled-none = Aún no hay ninguna.
scheduled-line = #{ $id } { $when } UTC { $status ->
        [scheduled] ⏳ programada
        [sending] 📤 enviándose
        [published] ✅ publicada
        [failed] ❌ rechazada por Telegram
       *[unknown] ❔ sin confirmar
    } — «{ $excerpt }»
channel-usage = se escribe así: { $command ->
        [broadcast] /difundir <texto>
        [teaser] /teaser <fragmento> [vip]
        [news] /noticias on|off
        [schedule] /programar <minutos> [vip] <texto>
       *[other] /{ $command }
    }
why-fragment-not-reached = aún no ha llegado a esa parte de la historia

## Experiencias

button-experiences = 🧭 Experiencias
experiences-title = 🧭 <b>Experiencias</b>
experiences-none = Aún no hay experiencias para usted.
experiences-running = En curso
experiences-available = Disponibles
experiences-completed = Completadas
experience-next = Siguiente: { $next }
experience-time-left = ⏳ Quedan { $hours } h
experience-step = { $kind ->
        [fragment] Leer «{ $name }»
        [decision] Elegir «{ $name }»
        [mission] Misión «{ $name }»
        [purchase] Comprar «{ $name }»
        [achievement] Logro «{ $name }»
        [reaction] Reaccionar { $count } veces ({ $done }/{ $count })
        [item] Tener { $count } × { $name }
        [spend] Gastar { $count } besitos ({ $done }/{ $count })
       *[experience] Completar «{ $name }»
    }
experience-start = ▶️ Comenzar
experience-locked = 🔒 Para comenzarla le falta:
experience-vip-only = 💎 Esta experiencia es para miembros VIP.
experience-abandon = ✖️ Abandonar
experience-abandon-confirm = ¿Seguro que quiere abandonarla? Perderá lo avanzado en esta ocasión.
experience-abandon-yes = ✖️ Sí, abandonar
experience-done = ✅ Ya la completó.
experience-given-up = ✖️ La dejó sin terminar; no puede volver a empezarla.
back-to-experiences = ⬅️ Experiencias
experience-started = 🧭 Comienza la experiencia «{ $name }».
experience-step-done = ✨ Un paso más en «{ $name }»: { $bar }
experience-completed = 🎉 ¡Experiencia completada: «{ $name }»!
experience-expired = ⌛ Se acabó el tiempo de «{ $name }».
experience-part-of = Parte de la experiencia «{ $name }»
why-unknown-experience = no existe esa experiencia
why-experience-running = ya está en curso
why-experience-not-repeatable = esa experiencia no se puede repetir
why-experience-not-running = esa experiencia no está en curso

## Lore: la mochila, los secretos y los códigos

backpack-title = 🧩 <b>Mochila</b> — { $found } de { $total } { $total ->
        [one] pista
       *[other] pistas
    } · { $revealed } de { $secrets } { $secrets ->
        [one] secreto
       *[other] secretos
    }
backpack-empty = Aún no ha encontrado ninguna pista. Lea la historia con atención: la casa las esconde en sus rincones.
backpack-how = Toque una pista para leerla y elegirla; combine las que crea que encajan.
backpack-piece = 🔎 <b>{ $name }</b>: { $text }
backpack-revealed = ✨ { $name }
button-combine = 🧪 Combinar ({ $count })
button-clear = ✖️ Soltar todas
button-read-secret = 📜 { $name }
button-backpack = 🧩 Mochila
lore-found = 🧩 Pista encontrada: <b>{ $name }</b> — /mochila
secret-revealed = ✨ <b>Secreto revelado: { $name }</b>
wrong-combination = ❌ Estas pistas no revelan nada.
combine-hint = 💡 { $hint }
combine-missing = { $count ->
        [one] Falta { $count } pista para completarlo.
       *[other] Faltan { $count } pistas para completarlo.
    }
combine-extra = No encaja: { $names }
code-redeemed = 🔑 Código aceptado.
code-unknown = 🔑 Ese código no abre nada. { $left ->
        [0] No le quedan intentos hoy.
        [one] Le queda { $left } intento hoy.
       *[other] Le quedan { $left } intentos hoy.
    }
reward-lore = 🧩 una pista: { $name }
why-piece-not-held = esa pista no está en su mochila
why-too-few-pieces = elija al menos dos pistas para combinarlas
why-wrong-combination = esas pistas no revelan nada
why-already-revealed = ese secreto ya está revelado
why-code-already-used = ya usó ese código
why-code-expired = ese código ha caducado
why-too-many-code-tries = ya probó { $max } códigos desconocidos hoy; vuelva mañana
why-unknown-lore-piece = esa pista no existe

## Alertas y perspectivas diarias (operadores)

alert-rule-p95 = p95 de { $operation } (ms)
alert-rule-errors = actualizaciones fallidas por minuto (cartas muertas, no durables)
alert-rule-flusher-lag = escrituras esperando su commit (s)
alert-rule-failed-payments = pagos con Stars fallidos en la última hora
alert-rule-inflation = inflación de besitos hoy (%)
alert-every-operation = cada operación
alert-fired = 🚨 <b>Alerta</b>: { $rule } está en { $value } (umbral { $threshold }). Le avisaremos cuando se resuelva.
alert-resolved = ✅ <b>Resuelta</b>: { $rule } vuelve a estar bajo su umbral (activa desde { $since } UTC).
alert-suppressed = 🔕 { $count ->
        [one] { $count } alerta más quedó retenida
       *[other] { $count } alertas más quedaron retenidas
    } por el límite por hora; /alertas muestra lo que está activo.
alerts-title = 🚨 <b>Reglas de alerta</b> · cada { $check } s sobre los últimos { $window } s · como mucho { $max } mensajes por hora
alerts-rule = • { $rule } por encima de { $threshold }
alerts-none-firing = No hay ninguna alerta activa.
alerts-firing-title = <b>Activas ahora</b>:
alerts-firing = 🔴 { $rule }: { $value }, desde { $since } UTC
insights-title = 🔎 <b>Perspectivas del { $day }</b> (UTC)
insights-none = — ninguna
insights-stops = <b>Dónde se detienen los jugadores</b>
insights-stop = • { $fragment }: { $dropped } de { $reached } se quedaron ahí
insights-high-value = <b>Jugadores de más valor</b> (Stars, netas, en total)
insights-spender = • jugador { $player }: { $stars } ⭐
insights-vips = <b>VIP en riesgo</b>
insights-vip-expiring = • jugador { $player }: su VIP termina el { $until } UTC
insights-vip-inactive = • jugador { $player }: VIP, sin actividad desde hace { $days ->
        [one] { $days } día
       *[other] { $days } días
    }
insights-economy = <b>Economía</b>
insights-inflation = ⚠️ inflación de besitos del { $percent } % ese día
insights-concentration = ⚠️ los { $holders } jugadores más ricos tienen el { $percent } % de los besitos
insights-summary = 🔎 <b>Perspectivas del { $day }</b>: { $stops ->
        [one] { $stops } fragmento
       *[other] { $stops } fragmentos
    } donde se detienen los jugadores (sobre todo en { $fragment }), { $vips } VIP en riesgo, { $warnings ->
        [one] { $warnings } aviso
       *[other] { $warnings } avisos
    } de economía. Detalles: /perspectivas
insights-not-yet = Aún no hay perspectivas: se calculan cada día a las 00:00 UTC.
## Dashboard: the /panel link in Telegram, then the web pages' words.
panel-link = 🔐 Su enlace al panel, para un solo uso en { $minutes } min:
    { $url }
panel-link-button = Abrir el panel
panel-title = DianaBot · Panel
panel-overview = Resumen
panel-insights = Perspectivas y alertas
panel-since = Del
panel-until = al
panel-show = Mostrar
panel-refresh = actualizar cada { $seconds } s
panel-download-csv = Descargar CSV
panel-no-data = No hay datos en ese periodo.
panel-signed-in-as = Operador { $operator }
panel-logout = Salir
panel-logged-out = Ha salido del panel. Envíe /panel al bot para volver.
panel-enter-prompt = Este enlace abre el panel una sola vez, y solo durante unos minutos.
panel-enter = Abrir el panel
panel-login-needed = Para abrir el panel, envíe /panel al bot: le responde con un enlace de acceso.
panel-link-refused = Este enlace ha caducado o ya se usó. Envíe /panel al bot para obtener otro.
panel-not-permitted = Su rol no le permite ver las estadísticas.
panel-form-expired = Este formulario ha caducado. Recargue la página e inténtelo de nuevo.
panel-bad-period = Los días se escriben AAAA-MM-DD, el primero no posterior al último.
panel-not-found = Esa página no existe.
panel-unavailable = Ahora no se pueden leer las cifras (la base de datos no responde). Inténtelo de nuevo en un momento.
## Juegos de la comunidad: trivia y eventos.
button-trivia = 🧠 Trivia
button-events = 🎉 Eventos
button-trivia-continue = ▶️ Volver a la pregunta
button-trivia-start = ▶️ { $name }
trivia-title = 🧠 <b>Trivia</b> — le { $left ->
        [one] queda { $left }
       *[other] quedan { $left }
    } de { $max } { $max ->
        [one] ronda
       *[other] rondas
    } hoy · mejor racha { $best }
trivia-none = Aún no hay rondas de trivia.
trivia-set = • <b>{ $name }</b>{ $vip ->
        [yes] {" "}⭐ VIP
       *[no] {""}
    } — { $questions } { $questions ->
        [one] pregunta
       *[other] preguntas
    }, hasta { $reward } besitos
trivia-question = 🧠 <b>{ $name }</b> — pregunta { $number } de { $total } ({ $difficulty ->
        [easy] fácil
        [hard] difícil
       *[medium] media
    }, { $points } pts)
    ⏱ { $seconds } s para responder

    { $text }
trivia-right = ✅ ¡Correcto! +{ $points } pts · racha { $streak }
trivia-wrong = ❌ Incorrecto — era <b>{ $answer }</b>. La racha vuelve a cero.
trivia-late = ⌛ Demasiado tarde: esa respuesta no cuenta. Era <b>{ $answer }</b>. La racha vuelve a cero.
trivia-finished = 🏁 <b>{ $name }</b> terminada: { $correct } de { $questions } correctas, { $score } pts.
    Recompensa: { $reward } besitos · mejor racha { $best } · saldo { $balance }
event-effect = { $kind ->
        [reactions] las reacciones pagan ×{ $multiplier }
        [trivia] +{ $extra } { $extra ->
            [one] ronda
           *[other] rondas
        } al día, puntos ×{ $multiplier }
       *[leaderboard] sprint de clasificación ×{ $multiplier }
    }
event-banner = 🎉 <b>{ $name }</b>: { $effect } hasta { $until }
events-title = 🎉 <b>Eventos</b>
events-none = No hay eventos ahora ni próximos.
event-line = { $running ->
        [yes] 🟢 en curso
       *[no] 🗓 próximo
    } <b>{ $name }</b>: { $effect }
    { $from } → { $until }
why-unknown-trivia-set = esa ronda de trivia no existe
why-trivia-quota = ya jugó sus { $max } { $max ->
        [one] ronda
       *[other] rondas
    } de trivia de hoy; más a partir de { $resets }
why-trivia-question-gone = esa pregunta ya no está en juego
why-trivia-already-answered = ya respondió esa pregunta

## Juegos de la comunidad: invitaciones.
button-invite = 💌 Invitar amigos
invite = 💌 <b>Invitar amigos</b>
    Su enlace: { $link }
    Cuando un amigo que entre por él tome { $decisions } { $decisions ->
        [one] decisión
       *[other] decisiones
    } en la historia, usted gana { $inviter } besitos y su amigo { $invitee }. Hasta { $cap } invitaciones pagadas al mes.
    Invitaciones cerradas: { $settled }
invite-unavailable = 💌 Las invitaciones no están abiertas ahora.
referral-joined = 💌 Un amigo le ha invitado: tome { $decisions } { $decisions ->
        [one] decisión
       *[other] decisiones
    } en la historia y ambos ganarán besitos ({ $reward } para usted).
referral-reached = 💌 Invitación cumplida: +{ $reward } besitos. Su amigo recibe los suyos también.
referral-paid = 💌 Un amigo que invitó alcanzó la meta: +{ $reward } besitos. Saldo: { $balance }
referral-capped = 💌 Un amigo que invitó alcanzó la meta, pero ya tenía { $cap } invitaciones pagadas este mes.
why-referral-not-new = una invitación solo cuenta para un jugador nuevo
why-self-referral = no puede invitarse a sí mismo
## Rankings (leaderboards)
leaderboard-title = 🏆 <b>{ $name }</b>
leaderboard-weekly = Esta semana: cierra el lunes a las 00:00 UTC ({ $days ->
        [one] queda { $days } día
       *[other] quedan { $days } días
    }).
leaderboard-all-time = Desde siempre.
leaderboard-row = { $rank }. { $name } — { $score }
leaderboard-someone = (jugador)
leaderboard-empty = Nadie ha puntuado todavía.
leaderboard-you = Usted: puesto { $rank } de { $players }, con { $score }.
leaderboard-you-none = Usted aún no tiene puntos en este ranking.
leaderboard-prizes = Premios al cierre: { $prizes } besitos.
leaderboard-ties = En caso de empate gana quien llegó antes a la puntuación.
leaderboard-none = No hay rankings todavía.
leaderboard-prize-won = 🏆 ¡Puesto { $rank } en «{ $name }»! Recibe { $besitos } besitos.
button-leaderboards = 🏆 Ranking

## flags: el estilo del jugador, las flags, la ficha de un jugador
archetype-name = { $archetype ->
        [narrative_lover] Amante de las historias
        [collector] Coleccionista
        [competitive] Competitivo
        [social] Social
       *[completionist] Completista
    }
profile-style = 🎭 Su estilo: <b>{ $style }</b> (/estilo)
profile-style-unknown = 🎭 Su estilo: aún por descubrir. Siga jugando.
style-title = 🎭 <b>Su estilo</b>
style-is = Lucien le observa con atención: usted juega como <b>{ $style }</b>.
style-none = Lucien aún no distingue su estilo. Lea, decida, coleccione… y se revelará.
style-score = { $archetype }: { $bar }
button-style = 🎭 Su estilo
flags-title = 🚩 <b>Flags</b> ({ $count })
flags-none = No hay flags (flags.toml).
flag-rollout = <b>{ $name }</b> — { $rollout } %
flag-override = en flags.toml { $content } %; cambiado por { $by } el { $at } UTC
flag-audience = público: { $audience }
audience-all = todos
audience-vip = { $vip ->
        [yes] solo VIP
       *[no] solo gratuitos
    }
audience-languages = idiomas { $languages }
audience-users = { $count ->
        [one] { $count } jugador concreto
       *[other] { $count } jugadores concretos
    }
flag-variants = variantes: { $variants }
flag-orphan = <b>{ $name }</b> — cambio guardado a { $rollout } %, ignorado: flags.toml ya no la define
flag-set = ✅ Flag <b>{ $name }</b>: { $rollout } % (antes { $before } %; en flags.toml { $content } %). En vigor ya, sin reiniciar.
flag-reset = ✅ Flag <b>{ $name }</b>: vuelve al { $rollout } % de flags.toml (antes { $before } %).
why-unknown-flag = no existe la flag { $flag } (vea /flags)
reload-ignored-overrides = Cambios de flags ignorados (flags.toml ya no las define): { $flags }
player-title = 👤 <b>Jugador { $user }</b> — { $name }
player-unknown = No hay ningún jugador { $user }.
player-style = Estilo: <b>{ $style }</b>, { $confidence } % de confianza
player-style-none = Estilo: sin definir (puntos { $total }, mínimo { $min })
player-score = { $archetype }: { $score }
player-flags = <b>Flags</b>
player-flag = { $name }: { $variant }
player-flag-off = { $name }: no
panel-player = Jugador { $user }
## offers: contextual offers.
offer-card = 🎁 <b>{ $name }</b>
    { $text }

    Precio: { $price } · Quedan { $left }
offer-free = sin coste
offer-price-besitos = { $amount } besitos
offer-price-stars = { $amount } ⭐
button-offer-buy = 🛍 Comprar
button-offer-accept = 🗝 Aceptar
offers-title = 🎁 <b>Ofertas para usted</b>
offers-line = { $name } · { $left }
offers-none = 🎁 No tiene ofertas abiertas ahora.
offer-trial-taken = 🗝 Hecho: { $days } { $days ->
        [one] día
       *[other] días
    } de acceso al salón de Diana.
why-unknown-offer = esa oferta no existe para usted
why-offer-expired = esa oferta ha caducado
why-offer-taken = esa oferta ya se ha aprovechado
## offers-bundle
offer-bundle-contents = El lote incluye:{ $items }
offer-bundle-item = • { $name }
why-bundle-item-owned = ya tiene «{ $item }», que va en este lote; el lote se vende entero, así que no se lo cobramos
## panel-flags: la página de flags del panel
panel-flags = Flags
panel-flags-intro = Una flag está activa para la parte de su audiencia indicada en «En vigor». Un cambio se guarda, se anota en el registro de auditoría y entra en vigor al momento, sin reiniciar; «Volver a flags.toml» lo deshace.
panel-flag-name = Flag
panel-flag-content = En flags.toml
panel-flag-live = En vigor
panel-flag-changed = Cambiada por
panel-flag-audience = Audiencia
panel-flag-variants = Variantes (peso)
panel-flag-change = Cambiar
panel-flag-changed-by = operador { $by }, { $at } UTC
panel-flag-orphan = { $rollout } % guardado, ignorado: flags.toml ya no la define
panel-flag-percent = Despliegue en porcentaje, de 0 a 100
panel-flag-set = Aplicar
panel-flag-reset = Volver a flags.toml
panel-flag-refused = Rechazado: { $reason }.
panel-flag-bad-percent = «{ $value }» no es un despliegue: escriba un porcentaje de 0 a 100 con dos decimales como mucho (30, 12,5). No se ha cambiado nada.
panel-flag-not-stored = No se ha podido guardar el cambio (la base de datos no responde): no se ha cambiado nada. Inténtelo de nuevo en un momento.
panel-flag-not-audited = El cambio está en vigor, pero el registro de auditoría no ha podido anotarlo (la base de datos no responde). Envíelo de nuevo en un momento: repetirlo no hace daño, y entonces queda anotado.
