# The pages subscribers see (signup, confirmation, preferences, unsubscribe)
# and the mail a signup sends. In the list's language.

public-site = Subscriptions
public-email = Email
public-name = Name
public-optional = {" "}(optional)
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

public-address = Change your address
public-address-new = New email address
public-address-button = Send a link to the new address
public-address-hint = The change takes effect when you open the link we send to the new address.
public-address-sent = We sent a link to { $email }. Open it to move your subscriptions there.
public-address-bad = The new address is not valid: { $reason }.
public-address-same = That is already your address.
public-address-confirm-title = Change your address
public-address-confirm = Move your subscriptions from { $old } to { $new }?
public-address-confirm-button = Yes, change my address
public-address-done-title = Your address is changed
public-address-done = From now on we write to { $new }.
public-address-used-title = This link has been used
public-address-used = Your address was changed with it already, or the request is no longer valid.
public-address-taken-title = This address is already registered
public-address-taken = { $new } is already registered with us, so your address was not changed.

mail-address-subject = Confirm your new address
mail-address-body =
    Hello,

    someone, hopefully you, asked to move the subscriptions of { $old } to this address, { $new }.

    Confirm the change by opening this link within { $days } days:

    { $link }

    If it was not you, ignore this message: nothing changes.
mail-address-changed-subject = Your address has been changed
mail-address-changed-body =
    Hello,

    the subscriptions of { $old } now go to { $new }, as requested from the preferences page.

    If you did not ask for this, reply to this message.

public-reason-legend = Why are you leaving? (optional)
public-reason-too_many = I get too many emails
public-reason-not_relevant = The content is not relevant to me
public-reason-never_signed_up = I never signed up
public-reason-other = Another reason
public-reason-detail = In your own words
