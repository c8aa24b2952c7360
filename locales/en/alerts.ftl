# Alert mail to the admins, each in their dashboard language.

alert-check-subject = ninsho: { $check } of { $domain } broke
alert-check-intro = The { $check } check of { $domain } passed before and fails now:
alert-check-next = See the domains page, or run `ninsho doctor { $domain }`.
alert-complaint-subject = ninsho: complaint rate of { $domain } over { $limit } %
alert-complaint-urgent-subject = ninsho: URGENT: complaint rate of { $domain } over { $limit } %
alert-complaint-detail = campaign { $campaign }: { $complaints } complaints for { $delivered } delivered = { $rate } %
alert-complaint-over = over 0.1 %
alert-complaint-loud = over Gmail's 0.3 % limit: stop and clean the list
alert-dmarc-subject = ninsho: { $what } in DMARC reports of { $domain }
alert-dmarc-spoofing = Spoofing source
alert-dmarc-own-failing = Own source failing
alert-error-rate-subject = ninsho: campaign { $campaign } bounced { $rate } % of its sends ({ $domain })
alert-error-rate-detail = campaign { $campaign } ({ $name }): { $bounced } of { $sent } messages bounced = { $rate } %, over the alert threshold of { $limit } %
alert-error-rate-advice = Check where the list came from and the bounce reasons in the campaign's report before sending to it again.
