# 管理者へのアラートメール。各管理者のダッシュボードの言語で送ります。

alert-check-subject = ninsho: { $domain } の { $check } チェックが失敗しています
alert-check-intro = { $domain } の { $check } チェックは、以前は成功していましたが、現在は失敗しています。
alert-check-next = 送信ドメインのページを確認するか、`ninsho doctor { $domain }` を実行してください。
alert-complaint-subject = ninsho: { $domain } の苦情率が { $limit } % を超えました
alert-complaint-urgent-subject = ninsho: 【緊急】{ $domain } の苦情率が { $limit } % を超えました
alert-complaint-detail = キャンペーン { $campaign }：配信成功 { $delivered } 通に対し苦情 { $complaints } 件（{ $rate } %）
alert-complaint-over = 0.1 % を超えています
alert-complaint-loud = Gmail の上限 0.3 % を超えています。配信を止めてリストを整理してください
alert-dmarc-subject = ninsho: { $domain } の DMARC レポートに「{ $what }」があります
alert-dmarc-spoofing = なりすましの送信元
alert-dmarc-own-failing = 認証に失敗した自社の送信元
alert-error-rate-subject = ninsho: キャンペーン { $campaign } のエラー率が { $rate } % になりました（{ $domain }）
alert-error-rate-detail = キャンペーン { $campaign }（{ $name }）：送信 { $sent } 通のうち { $bounced } 通がエラー（{ $rate } %）。警告のしきい値 { $limit } % を超えています
alert-error-rate-advice = 次に配信する前に、リストの入手元と、キャンペーンレポートのエラー理由をご確認ください。
