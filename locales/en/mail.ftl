# Words of the mail itself: the default layout's footer and the footer of a
# generated text part. In the campaign's language.

layout-reason = You receive this because you subscribed to { $list }.
layout-view = View in a browser
layout-preferences = Preferences
layout-unsubscribe = Unsubscribe

# The sender's identity block (Japan's 特定電子メール法, CAN-SPAM's postal
# address): who sends, where, and whom to ask.
layout-sender = Sent by { $value }
layout-address = { $value }
layout-contact = Questions and unsubscribing: { $value }
