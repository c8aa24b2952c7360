# The pages subscribers see (signup, confirmation, preferences, unsubscribe)
# and the mail a signup sends. In the list's language.

public-site = Subscriptions
public-email = Email
public-name = Name
public-optional = (optional)
public-subscribe = Subscribe
public-subscribe-to = Subscribe to { $list }
public-website = Website

public-too-many-title = Too many signups
public-too-many = Too many signups came from your network. Try again in a few minutes.
public-almost-done-title = Almost done
public-almost-done = Check your inbox: we sent a link to confirm your subscription to { $list }.
public-thanks-title = Thank you
public-thanks = Thank you for subscribing to { $list }. If this address had unsubscribed before, confirm with the link we just sent.
public-bad-name = Your name contains a line break or a control character: remove it and send the form again.
public-bad-field = { $field } contains a control character: remove it and send the form again.
public-bad-email = This email address is not valid: { $reason }.
public-fill-in = Please fill in { $field }.

public-invalid-link-title = This link is not valid
public-invalid-link = It may have been copied incompletely. Open it again from the email.
public-confirm-title = Confirm your subscription
public-confirm-question = Subscribe to { $list }?
public-confirm-button = Yes, subscribe me
public-expired-title = This link has expired
public-expired = Confirmation links work for 7 days. Sign up again to get a new one.
public-sign-up-again = Sign up again
public-cannot-confirm-title = This subscription cannot be confirmed
public-cannot-confirm = The address or the newsletter no longer receives mail from us.
public-confirmed-title = Subscription confirmed
public-confirmed = You are subscribed to { $list }. Thank you!
public-manage = Manage your subscriptions
public-manage-all = Manage all your subscriptions

public-unsubscribe-title = Unsubscribe
public-subscribe-question = Stop sending { $list } to { $email }?
public-unsubscribe-button = Unsubscribe
public-already-title = You are already unsubscribed
public-already = { $email } no longer receives { $list }. There is nothing more to do.
public-unsubscribed-title = You are unsubscribed
public-unsubscribed = You will not receive this newsletter any more.

public-profile-title = Your subscriptions
public-newsletters = Newsletters
public-save = Save
public-everything = Unsubscribe from everything
public-saved = Your changes are saved.
public-left-all = You are unsubscribed from every newsletter.
public-profile-bad-name = Your name contains a line break or a control character: remove it and save again.

mail-confirm-subject = Confirm your subscription to { $list }
mail-confirm-body =
    Hello,

    someone, hopefully you, asked to subscribe { $email } to { $list }.

    Confirm the subscription by opening this link within { $days } days:

    { $link }

    If it was not you, ignore this message: you will not be subscribed.
