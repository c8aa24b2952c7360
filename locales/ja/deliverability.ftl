# 送信ドメインのDNSチェック、登録するDNSレコード、到達率スコアの判定結果。
# DNS名、レコードの値、IPアドレス、プロトコル名は引数か、そのままの表記です。

## 送信ドメインのDNSチェック（送信ドメインのページと `ninsho doctor`）

dns-check-could-not = 確認できませんでした: { $error }
dns-check-lookup-failed = DNSの問い合わせに失敗しました
dns-check-no-key = { $domain } にはDKIM鍵がありません。`ninsho domain add { $domain }` で作成してください。
# まだ署名に使われていない鍵、またはもう使われていない鍵のチェック項目名。
dns-check-key-pending = { $what }（公開待ち）
dns-check-key-retiring = { $what }（廃止予定）
dns-check-key-retired = { $what }（廃止済み）
dns-check-waiting = DNSレコードの公開を待っています: { $detail }
dns-check-dkim-missing = { $name } にDKIMレコードがありません。`ninsho domain list` が表示するレコードを登録してください。
dns-check-dkim-ok = { $name } に正しい鍵が登録されています。
dns-check-dkim-mismatch = { $name } のDKIM鍵が、保存されている鍵と一致しません。
dns-check-dkim-several = { $name } にDKIMレコードが{ $n }件あります。1件だけにしてください。
dns-check-spf-missing = { $domain } にSPFレコードがありません。"{ $record }" を登録してください。
dns-check-spf-several = { $domain } にSPFレコードが{ $n }件あります。受信側はこれをエラーとして扱うため、1件にまとめてください。
dns-check-spf-ok = { $domain } は { $ip } からの送信を許可しています。
dns-check-spf-permerror = { $domain } のSPFレコードに誤りがあります（permerror: 構文エラー、またはDNS参照が10回を超えています）。
dns-check-spf-not-covered = { $domain } のSPFに { $ip } が含まれていません（結果: { $result }）。現在のレコードの代わりに "{ $record }" を登録してください。
dns-check-spf-lookups = SPFのDNS参照回数
dns-check-lookups-over = DNS参照が{ $n }回あります。SPFで許される上限は10回です（permerror）。include を展開して減らしてください。
dns-check-lookups-near = SPFで許される10回のDNS参照のうち、{ $n }回を使っています。include をもう1つ追加するとSPFが機能しなくなります。
dns-check-lookups-ok = SPFで許される10回のDNS参照のうち、{ $n }回を使っています。
dns-check-mx-unknown-host = バウンスは { $hosts } に届きます（ninsho の受信ホストかどうかを確認するには、delivery.inbound_host を設定してください）。
dns-check-mx-ok = バウンスは { $host } に戻ってきます。
dns-check-mx-elsewhere = バウンスが ninsho の受信ホスト { $host } ではなく、{ $hosts } に届いています。
dns-check-mx-missing = { $domain } 宛てのバウンスを配送できません。"{ $domain }. MX 10 { $host }." を登録してください。
# delivery.inbound_host が未設定のとき、MXレコードのホストの代わりに表示します。
dns-check-inbound-host = <ninsho の受信ホスト>
dns-check-dmarc-missing = { $name } にDMARCレコードがありません。まず "{ $record }" を登録してください。
dns-check-dmarc-syntax = { $name } のDMARCレコードに構文エラーがあります: { $error }
dns-check-dmarc-several = { $name } にDMARCレコードが{ $n }件あります。1件だけにしてください。
dns-check-dmarc-none = p=none: レポートを受け取るだけです。すべてのメールが整合していることをレポートで確認できたら、quarantine、次に reject に移行してください。
dns-check-dmarc-enforced = { $name } のポリシーが適用されています。
dns-check-dmarc-reports = DMARCレポート
dns-check-reports-ok = 集計レポートは { $address } に届きます。
dns-check-reports-elsewhere = { $name } に rua=mailto:{ $address } を追加してください。ninsho が、{ $domain } を名乗って送信している送信元を分析できるようになります。
dns-check-ptr-missing = { $ip } に逆引き (PTR) レコードがありません。受信側はこのようなメールを拒否します。
dns-check-ptr-unexpected = { $ip } の逆引き (PTR) が { $expected } ではなく { $name } になっています（delivery.ptr_names）。EHLO名と送信元の評価は逆引き (PTR) に従います。
dns-check-ptr-ok = { $name }（正引きすると { $ip } になります。EHLO名として使われます）
dns-check-spf-relay-ok = { $domain } のSPFはリレー（{ $term }）を許可しています。
dns-check-spf-relay-missing = { $domain } のSPFがリレー { $host } を許可していないため、リレー経由のメールはSPF認証に失敗します。次のレコードを公開してください：{ $record }
dns-check-ptr-relay = メールはリレー { $host } から送信されるため、PTRとEHLO名はリレー側で設定されます。
dns-check-ptr-unconfirmed = { $ip } の逆引き (PTR) 名 { $name } を正引きしても、{ $ip } になりません。
dns-check-smime = S/MIME証明書
dns-check-smime-unreadable = 保存されている証明書を読み取れません: { $error }
dns-check-smime-expired = { $until } に有効期限が切れています。期限切れの証明書でメールに署名しているため、送信ドメインのページで新しい証明書をアップロードしてください。
dns-check-smime-ending = { $until } に有効期限が切れます（あと{ $days }日）。後継の証明書をアップロードしてください。
dns-check-smime-valid = { $until } まで有効です。

## 登録するDNSレコード: それぞれの用途

dns-record-dkim = DKIM鍵 { $selector }（{ $algorithm }）
dns-record-dkim-pending = DKIM鍵 { $selector }（{ $algorithm }）。署名に使われる前に登録してください
dns-record-dkim-retiring = DKIM鍵 { $selector }（{ $algorithm }）。廃止予定です。廃止されるまでレコードを残してください
dns-record-spf-merged = エンベロープ送信者のSPF: 現在のレコードに ninsho のアドレスを加えたものです（SPFレコードを2つ登録しないでください）
dns-record-spf = エンベロープ送信者（bounce.<ドメイン>）のSPF: メールの送信元アドレス
dns-record-mx-unknown = バウンスとレポートを ninsho に戻します。ninsho の受信ホストを指定してください（delivery.inbound_host）
dns-record-mx = バウンスとレポートを ninsho に戻します
dns-record-dmarc = DMARC: まず p=none で始めてレポートを確認し、すべての送信元が整合したら p=quarantine、次に p=reject に変更してください
dns-record-ptr = { $ip } の逆引き (PTR)。アドレスの提供元が設定します。{ $name } を正引きすると { $ip } になる必要があります
dns-record-tls-rpt = TLS-RPT: 受信側がTLSの失敗を ninsho に報告します
dns-record-mta-sts = { $domain } 宛てメールのMTA-STS: https://mta-sts.{ $domain }/.well-known/mta-sts.txt でのポリシーの公開も必要です
dns-record-bimi = BIMIロゴ（DMARCを quarantine または reject にすること、SVG Tiny PS形式のロゴが必要です）

## 到達率スコア: 各チェック項目、その結果と対処方法

score-finding-unknown = 確認できませんでした: { $reason }
score-finding-lookup-failed = DNSの問い合わせに失敗しました
# 一覧の項目（未入力の項目、ホスト名）の区切り。
score-finding-separator = 、
score-finding-unparsable = メッセージを解析できません。
score-finding-unparsable-fix = ヘッダーのあるメッセージを送信してください。
score-finding-present = あり
score-finding-no-message-id = メッセージにMessage-IDがありません。
score-finding-no-message-id-fix = 送信ドメインのMessage-IDを付けてください。
score-finding-no-date = メッセージに有効なDateヘッダーがありません。
score-finding-no-date-fix = RFC 5322 形式のDateヘッダーを付けてください。
score-finding-one-from = Fromアドレスは1つです。
score-finding-from-count = Fromヘッダーが{ $headers }個、アドレスが{ $addresses }個あります。受信側はちょうど1つであることを求めます。
score-finding-from-count-fix = Fromアドレスを1つだけにしてください。
score-finding-mime-ok = 正しい形式です。
score-finding-mime-no-version = MIME-VersionのないContent-Typeがあります。
score-finding-mime-no-boundary = boundaryのないマルチパートメッセージです。
score-finding-mime-unclosed = マルチパートのboundary { $boundary } が閉じられていません。
score-finding-mime-fix = MIMEライブラリでメッセージを組み立ててください（ninsho が作るメッセージはそうなっています）。
score-finding-line-length = 行の長さ
score-finding-line-ok = 最も長い行は{ $octets }オクテットです。
score-finding-line-long = { $octets }オクテットの行があります。RFC 5322 の上限は998オクテットで、これより長い行はサーバーで分割されてしまいます。
score-finding-line-long-fix = 本文を quoted-printable または base64 でエンコードしてください。
score-finding-text-part = テキストパート
score-finding-text-part-ok = プレーンテキストのパートがあります。
score-finding-html-only = HTMLのみで、text/plain の代替パートがありません。
score-finding-html-only-fix = テキストパートを含む multipart/alternative で送信してください（ninsho はHTMLからテキストパートを生成します）。
score-finding-text-matches = テキストとHTMLの一致
score-finding-text-matches-ok = HTMLの語句の{ $percent } %を含んでいます。
score-finding-text-mismatch = テキストパートには、HTMLパートの語句が{ $percent } %しか含まれていません。
score-finding-text-mismatch-fix = テキストパートを ninsho に生成させるか、HTMLと同じ内容になるように編集してください。
score-finding-images = 画像とテキスト
score-finding-image-only = 画像が{ $images }点あるのに対し、テキストが{ $words }語しかありません。
score-finding-image-only-fix = 本文はテキストで書き、画像は補足として使ってください。
score-finding-images-ok = テキスト{ $words }語、画像{ $images }点
score-finding-subject = 件名
score-finding-caps = 件名がすべて大文字です: { $subject }
score-finding-caps-fix = 件名をすべて大文字で書かず、通常の大文字・小文字の使い分けで書いてください。
score-finding-not-shouted = すべて大文字ではありません。
score-finding-links = リンク
score-finding-links-ok = リンク{ $n }件（短縮URLなし）
score-finding-shorteners = 短縮URLを経由するリンクがあります: { $hosts }
score-finding-shorteners-fix = 実際のURLにリンクしてください。ninsho のクリック計測がすでにリダイレクトしています。
score-finding-identity = 送信者情報
score-finding-identity-ok = 送信者の氏名・名称、住所、連絡先が入力されています。
score-finding-identity-missing = { $domain } の送信者情報に、{ $missing }が入力されていません。
# 送信者情報の項目。上のメッセージの一覧に入ります。
score-finding-identity-part-name = 氏名・名称
score-finding-identity-part-postal-address = 住所
score-finding-identity-part-contact = 連絡先
score-finding-identity-fix = 送信ドメインのページで、{ $domain } の送信者の氏名・名称、住所、連絡先を入力してください（特定電子メール法とCAN-SPAMにより、広告・宣伝メールには必須です）。
score-finding-no-list-unsubscribe = List-Unsubscribeヘッダーがありません。GmailとYahooは、一括送信するメールにこのヘッダーを求めています。
score-finding-no-list-unsubscribe-fix = キャンペーンから送信してください。このヘッダーが自動で付きます。
score-finding-list-unsubscribe-malformed = List-Unsubscribeの形式が正しくありません: { $value }
score-finding-list-unsubscribe-malformed-fix = 配信停止先はそれぞれ <https://…> または <mailto:…> とし、カンマで区切ってください。
score-finding-one-click-ok = ワンクリックで配信停止できます（RFC 8058）。
score-finding-not-one-click = ワンクリック配信停止に対応していません。{ $missing } がありません。
score-finding-https-target = httpsの配信停止先
score-finding-not-one-click-fix = httpsの配信停止URLとList-Unsubscribe-Postヘッダーを付けてください（RFC 8058）。GmailとYahooが求めています。
score-finding-dkim-ok = { $domain } のDKIM署名が検証され、Fromのドメインと整合しています。
score-finding-dkim-unaligned = { $signer } のDKIM署名は検証されましたが、Fromのドメインは { $from } です。
score-finding-dkim-unaligned-fix = { $from } 自身の鍵で署名してください: `ninsho domain add { $from }`
score-finding-dkim-none = メッセージにDKIM署名がありません。
score-finding-dkim-invalid = DKIM署名を検証できません: { $error }
score-finding-dkim-fix = `ninsho domain list` が { $from } について表示するDKIMレコードを登録してください。
score-finding-spf-ok = { $domain } は { $ip } からの送信を許可しています。
score-finding-spf-fail = { $domain } のSPFは、{ $ip } に対して { $result } を返します。
score-finding-spf-fix = { $domain } に "{ $record }" を登録してください。
score-finding-no-source = 送信元アドレスが設定されていません（delivery.source_ips）。
score-finding-dmarc-missing = { $domain } にDMARCレコードがありません。
score-finding-dmarc-missing-fix = _dmarc.{ $domain } に "v=DMARC1; p=none; rua=mailto:…" を登録してください。
score-finding-dmarc-ok = 合格です。DKIMまたはSPFが整合しています。
score-finding-dmarc-fail = { $domain } のDMARCが不合格です。DKIMもSPFも、このドメインと整合した状態で合格していません。
score-finding-dmarc-fail-fix = 上のDKIMを修正してください。DMARCに必要なのは、整合したDKIM署名です。
score-finding-ptr-none = { $ip } に逆引き (PTR) レコードがありません。
score-finding-ptr-none-fix = { $ip } の提供元に、メールサーバーのホスト名を指す逆引き (PTR) の設定を依頼してください。
score-finding-ptr-ok = { $name }（正引きすると { $ip } になります）
score-finding-ptr-unconfirmed = 逆引き (PTR) 名 { $name } を正引きしても、{ $ip } になりません。
score-finding-ptr-unconfirmed-fix = { $name } → { $ip } のアドレスレコードを登録してください。
score-finding-ptr-name = 逆引き (PTR) のホスト名
score-finding-ptr-generic = { $name } は、汎用的な（動的割り当てやアドレスプール用の）ホスト名のようです。
score-finding-ptr-generic-fix = アドレスの逆引き (PTR) に、mail.example.com のようなメールサーバー固有のホスト名を設定してください。
score-finding-ptr-own = { $name } は固有のホスト名です。
# ブロックリストのチェック: アドレスまたはドメインと、ブロックリスト。
score-finding-on-list = { $subject }（{ $list }）
score-finding-not-listed = 掲載されていません。
score-finding-listed = { $what }: 掲載されています（{ $code }）
score-finding-ip-listed-fix = ブロックリストの検索ページで理由を確認して原因を解消し、掲載の削除を依頼してください。
score-finding-domain-listed-fix = 掲載されているドメインへのリンクやそのドメインからの送信をやめるか、掲載を解除してもらってください。
score-finding-list-refused = { $list } が問い合わせを拒否しました（{ $code }）。公開DNSリゾルバーからの問い合わせには応答しません。自前のリゾルバーか、Spamhaus DQSキーを使ってください。
score-finding-list-odd = { $list } が掲載コードではない応答を返しました: { $answer }
