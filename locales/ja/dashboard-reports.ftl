# 到達率のページ: キャンペーンのレポート、DMARC・TLSレポート、送信ドメイン、
# 到達率スコア、そしてそれらのグラフの言葉。

## キャンペーンのレポート

report-title = レポート: { $name }
report-heading = レポート:
report-status-draft = 下書き
report-status-scheduled = 配信予約
report-status-sending = 配信中
report-status-paused = 一時停止
report-status-finished = 配信完了
report-status-cancelled = 中止
report-delivered = 配信成功
report-opened = 開封
report-clicked = クリック
report-bounced = バウンス
report-unsubscribed = 配信停止
report-of-recipients = 配信対象 { $n }人中
report-people = { $n }人
report-n-failed = 失敗 { $n }件
report-n-complaints = 苦情 { $n }件
report-in-detail = 詳細
report-recipients = 配信対象
report-waiting-all = 待機中（キュー待ち、A/Bテストの保留、配信中、再送待ち）
report-failed = 失敗
report-suppressed-at-send = 配信時に除外
report-opened-people = 開封（人数）
report-opens-split = 開封: 人 / 自動取得
report-clicked-people = クリック（人数）
report-clicks-split = クリック: 人 / スキャナー
report-unsubscribed-since = 配信後の配信停止
report-complaints-loops = 迷惑メール報告（フィードバックループ）
report-machines-hint = 自動取得による開封は、メールのプライバシー保護機能による画像の一括取得です。スキャナーによるクリックは、すべてのリンクをたどるセキュリティゲートウェイによるもの、または配信から数秒以内のクリックです。
report-complaints-by-domain = 受信ドメイン別の苦情
report-domain = ドメイン
report-complaints = 苦情
report-rate = 割合
report-gmail-hint = Gmailは送信者に、苦情率を0.1 %未満に保ち、0.3 %には決して達しないよう求めています。どちらかを超えるとアラートが出ます。
report-bounces-by-reason = 理由別のバウンス
report-reason = 理由
report-kind = 種類
report-count = 件数
report-bounce-reason-user-unknown = 宛先不明
report-bounce-reason-host-unknown = ドメイン不明
report-bounce-reason-has-moved = 移転
report-bounce-reason-mailbox-full = メールボックス容量超過
report-bounce-reason-suspended = アカウント停止
report-bounce-reason-message-too-big = サイズ超過
report-bounce-reason-expired = 配信期限切れ
report-bounce-reason-rate-limited = 送信レート制限
report-bounce-reason-blocked = 受信拒否
report-bounce-reason-auth-failure = 認証失敗
report-bounce-reason-policy = ポリシー違反
report-bounce-reason-system-error = システムエラー
report-bounce-reason-network-error = ネットワークエラー
report-bounce-reason-undefined = 不明
report-bounce-kind-hard = ハードバウンス
report-bounce-kind-soft = ソフトバウンス
report-bounce-kind-sender = 送信側の問題
report-bounces-hint = ハードバウンス: アドレスが存在しません。ソフトバウンス: 一時的なエラーで、回復することがあります。送信側の問題: 評価、認証、送信レートなど当方の送信に関するもので、アドレスの問題ではありません。理由ごとに何回で配信除外リストに追加するかは「エラーアドレス自動停止」で設定します。受信側がメールを受け付けた後にメールで返ってきたバウンスもここに含まれます。
report-why-left = 配信停止の理由
report-reason-chosen = 選ばれた理由
report-readers = 人数
report-leave-too-many = メールの数が多い
report-leave-not-relevant = 内容が自分に合わない
report-leave-never-signed-up = 登録した覚えがない
report-leave-other = その他
report-in-their-words = 読者のコメント
report-leave-hint = 読者は配信停止ページで理由を回答できます。各回答は、そのリストから最後に受け取ったキャンペーンに集計されます。
report-sending-now = 現在配信中
# 毎分の通数の後に続きます。
report-per-minute = 通/分（直近5分間の平均）
# 見込みがわかるときは、残り時間（分）の前と後。
report-eta-before = 。完了まで約
report-eta-after = 分（待機中 { $n }通）
report-refreshes = 。このページは自動で更新されます。
report-by-domain = 受信ドメイン別
report-waiting = 待機中
report-deferred = 再送待ち
report-by-domain-hint = 配信数の多い上位20ドメインです。再送待ちの理由は、下の「最後の応答」列で確認できます。
report-ab-test = A/Bテスト
report-subject = 件名
report-winner = 勝者
report-ab-rest = 残りの配信先は開始から{ $hours }時間後まで待機し、{ $metric }が最も多かった件名で配信されます。
report-ab-metric-opens = 開封数
report-ab-metric-clicks = クリック数
report-per-hour = 時間別
report-clicks-per-link = リンク別のクリック
report-link = リンク
report-people-header = 人
report-scanners = スキャナー
report-deliveries = 宛先別の配信
report-recipient = 宛先
report-attempts = 試行回数
report-last-reply = 最後の応答
report-mx = MX
report-tls = TLS
report-delivery-queued = キュー待ち
report-delivery-held = 保留
report-delivery-sending = 配信中
report-delivery-deferred = 再送待ち
report-delivery-delivered = 配信成功
report-delivery-bounced = バウンス
report-delivery-failed = 失敗
report-delivery-suppressed = 除外
report-tls-state-verified = 検証済み
report-tls-state-unverified = 未検証
report-tls-state-none = なし

## DMARC・TLSレポート

report-dmarc-title = DMARC・TLSレポート
report-upload = アップロード
report-choose-files = レポートファイルを1つ以上選択してください。
report-outcome-imported = { $org }の{ $kind }レポート { $id }（{ $domain }）をインポートしました: { $rows }行
report-outcome-skipped = 、{ $skipped }行スキップ
report-outcome-duplicate = { $org }の{ $kind }レポート { $id }: インポート済みです
report-outcome-failed = インポートできませんでした: { $reason }（ファイルは保管しました）
# 3つのコード（reports@、rua、コマンド）をはさむ文。
report-kept = DMARC集計レポート { $dmarc }件とTLSレポート { $tls }件を保管しています。受信側はこれらのレポートを
report-kept-address = reports@
report-kept-subdomain = バウンス用サブドメイン宛てに送ります（推奨するDMARC・TLS-RPTレコードの
report-kept-rua = rua
report-kept-upload = に指定するアドレスです）。その他のレポートは、ここからアップロードするか
report-kept-command = ninsho reports import パス…
report-kept-end = でインポートしてください。
report-files = レポートファイル（XML、.xml.gz、.zip、.eml、TLS-RPT JSON）
report-import = インポート
report-domains-period = ドメイン（最新のレポートまでの{ $days }日間）
report-none-yet = DMARCレポートはまだありません。
report-messages = メッセージ数
report-dkim-aligned = DKIMアライメント
report-spf-aligned = SPFアライメント
report-dmarc-pass = DMARC合格
report-forwarded = 転送
report-misconfigured = 設定不備
report-spoofing = なりすましの疑い
report-reports = レポート
report-tls-reports = TLSレポート
report-policy = ポリシー
report-sessions-ok = 成功したセッション
report-sessions-failed = 失敗したセッション
report-unreadable = 読み取れなかったファイル
report-unreadable-hint = 理由とともに保管しています。破棄したものはありません。

## ドメインのDMARCレポートと、1つの送信元

report-domain-title = レポート: { $domain }
report-period = 最新のレポートまでの{ $days }日間
report-sources = 送信元
report-classes-hint = 正常: 許可された送信元で、アライメントも一致しています。転送: 第三者が中継したもの（受信側による判定の上書き、ARC、または転送後も有効なDKIM）。設定不備: 自社または許可された送信元で、DKIMが失敗しているか、アライメントが一致していません。なりすましの疑い: 許可されておらず、どの認証にも合格していません。
report-address = IPアドレス
report-country = 国
report-ptr = PTR
report-header-from = ヘッダーFrom
report-class = 分類
report-why = 理由
report-blocklists = ブロックリスト
report-ptr-none = なし
report-ptr-not-back = （正引きで元のアドレスに戻りません）
report-no-ptr = （PTRなし）
report-list-unchecked = { $list }: 確認できませんでした
report-not-looked-up = まだ照会していません。ページを再読み込みしてください
report-class-normal = 正常
report-class-forwarded = 転送
report-class-misconfigured = 設定不備
report-class-spoofing = なりすまし
report-by-base = 逆引きDNSのベースドメイン別
report-base-domain = ベースドメイン
report-worst-class = 最も悪い分類
report-source-title = レポート: { $domain } の { $ip }
report-day = 日付
report-reporter = 報告元
report-disposition = 処理
report-from-envelope = From / エンベロープ
report-dkim-results = DKIMの結果
report-spf-results = SPFの結果
report-pass = pass
report-fail = fail

## 送信ドメイン

domain-title = 送信ドメイン
domain-intro-before = 送信ドメインから送るメールは、そのドメイン自身のDKIM鍵で署名されます（作成者署名:
domain-intro-code = d=
domain-intro-after = がFromのドメイン）。以下の各レコードをドメインのDNSゾーンに登録してください。
domain-none-yet = 送信ドメインはまだありません。鍵のないドメインから送るキャンペーンは、サンドボックスモードでは署名なしで送信されます。
domain-check-now = 今すぐDNSを確認
domain-check-hint = （DKIM、バウンス用サブドメインのSPF、DMARC、PTRを、受信側から見える状態で確認します）
domain-verified = 確認済み { $at }
domain-unverified = 未確認
domain-unverified-hint = DKIMレコードがDNSで確認されるまで、本番環境ではこのドメインから送信されません。
domain-sends-from = 送信元IPアドレス
domain-any-node = すべての配信ノードのアドレス
domain-save-ips = アドレスを保存
# アドレスを設定するコマンドの前と後。
domain-ips-hint = 現在: { $from }。IPv4またはIPv6アドレスをスペース区切りで入力します。空欄にするとすべての配信ノードのアドレスを使います。次のコマンドでも設定できます:
domain-ips-command = ninsho domain ips { $domain } アドレス…
domain-ips-hint-end = { "" }
domain-check-ok = OK
domain-check-warn = 注意
domain-check-fail = 失敗
domain-check-unknown = 不明
domain-records = 登録するDNSレコード
domain-optional = 任意
domain-needed = 必須
domain-type = タイプ
domain-value = 値
domain-zone-lines = すべてのレコードをゾーンファイル形式で表示（BIND）
domain-rotate = DKIM鍵を更新
domain-rotate-hint = 新しい鍵は、そのレコードがDNSで確認されてから署名に使われます。古い鍵は7日間公開したままにします。
# 証明書のサブジェクトと有効期限の前と後。
domain-smime-on-before = S/MIME: すべてのメッセージを
domain-smime-on-after = で署名してから、DKIM署名します。
domain-smime-until = { $subject }（有効期限: { $until }）
domain-smime-stop = S/MIME署名を停止
domain-smime-hint = S/MIME（任意）: このドメインのFromアドレス用の証明書で、すべてのメッセージに署名します。
domain-smime-file = 証明書と秘密鍵（PEM）、またはPKCS#12（.p12/.pfx）
domain-smime-password = PKCS#12のパスワード
domain-upload = アップロード
domain-alerts = アラート
domain-alerts-hint = 以前は成功し、現在は失敗しているチェックです（監視機能が数時間ごとにすべてのドメインを再確認します）。
domain-add = ドメインを追加
domain-domain = ドメイン
domain-placeholder = news.example.jp
domain-ed25519 = Ed25519鍵も作成する（2つ目の署名。RSA-2048鍵は常に作成されます）
domain-add-button = 追加して鍵を生成
domain-exists = { $domain } はすでに送信ドメインです。
domain-not-sending = { $domain } は送信ドメインではありません。
domain-bad-ip = { $address } はIPv4またはIPv6アドレスではありません
domain-bad-ips = 送信元IPアドレス: { $faults }。
domain-smime-choose = PEMファイル（証明書と秘密鍵）またはPKCS#12ファイルを選択してください。
domain-smime-error = S/MIME: { $error }
domain-smime-failed = { $domain } のS/MIME: { $error }。

## 到達率スコア

score-title = 到達率スコア: { $name }
score-heading = 到達率スコア:
score-hint = 今送信した場合のメッセージを評価します。最初の配信先向けに差し込みを反映し、ドメインのDKIM鍵で署名して、実際に使う差出人アドレスから送るものとして、受信サーバーと迷惑メールフィルターの観点で判定します。
score-unchecked = { $n }件のチェックを実行できませんでした
score-unchecked-after = 。これらの項目はスコアに反映されていません。
score-area = 分野
score-check = チェック項目
score-points = 減点
score-finding = 結果
score-fix = 対処方法
score-mark-ok = OK
score-mark-warn = 注意
score-mark-fail = 失敗
score-mark-unknown = 不明
score-area-authentication = 認証
score-area-reverse-dns = 逆引きDNS
score-area-blocklists = ブロックリスト
score-area-content = コンテンツ
score-area-format = 形式
score-error = スコアを算出できません: { $error }

## グラフ

chart-hours-since = { $start }からの経過時間
chart-days-since = { $start }からの経過日数
chart-delivered = 配信成功
chart-opens = 開封
chart-clicks = クリック
chart-messages = メッセージ数
chart-dmarc-pass = DMARC合格

# ドメインごとの送信者情報（特定電子メール法 / CAN-SPAM）。
domain-identity-title = 送信者情報
domain-identity-complete = 入力済み
domain-identity-incomplete = 未入力の項目があります（本番配信はできません）
domain-identity-hint = 広告・宣伝メールには、送信者の氏名または名称、住所、配信停止やお問い合わせの連絡先の表示が必要です（特定電子メール法）。組み込みレイアウトは、このドメインから送るすべてのメールのフッターに表示します。
domain-identity-name = 送信者の氏名・名称
domain-identity-name-example = 株式会社ショップ
domain-identity-address = 住所
domain-identity-address-example = 〒530-0001 大阪府大阪市北区梅田1-1-1
domain-identity-contact = 連絡先（メールアドレスまたはURL）
domain-identity-contact-example = support@shop.example
domain-identity-save = 送信者情報を保存
domain-identity-field-name = 送信者の氏名・名称
domain-identity-field-postal-address = 住所
domain-identity-field-contact = 連絡先
