# Words of the mail itself: the default layout's footer and the footer of a
# generated text part. In the campaign's language.

layout-reason = You receive this because you subscribed to { $list }.
layout-view = View in a browser
layout-preferences = Preferences
layout-unsubscribe = Unsubscribe
