# リクエストの何がいけないか（ダッシュボードのフォームと、APIの `error`
# の文。`field` はそのまま）。

# データベースが断ったときの文と、そこで名指しされるもの
err-not-found = { $what }が見つかりません
err-conflict = { $what }はすでに存在します
err-thing-admin = 管理者
err-thing-list = 配信リスト
err-thing-subscriber = 購読者
err-thing-list-or-subscriber = 配信リストまたは購読者
err-thing-campaign = キャンペーン
err-thing-campaign-not-sending = 配信中のキャンペーン
err-thing-layout = レイアウト
err-thing-list-or-segment = 配信リストまたはセグメント
err-thing-sequence = ステップメール
err-thing-step = ステップ
err-thing-endpoint = Webhookのエンドポイント
err-thing-segment = セグメント
err-thing-subscription = 配信リストへの登録
err-thing-suppression = 配信除外
err-thing-import = インポート
err-thing-sending-domain = 送信ドメイン
err-exists-admin-email = このメールアドレスの管理者はすでに存在します
err-exists-list-name = この名前の配信リストはすでに存在します
err-exists-subscriber-email = このメールアドレスの購読者はすでに存在します
err-exists-not-draft = このキャンペーンはすでに下書きではありません
err-exists-active-sequence = このステップメールはすでに有効です
err-exists-endpoint-url = このURLのエンドポイントはすでに存在します
err-exists-segment-name = この名前のセグメントはすでに存在します
err-exists-suppression = この配信除外はすでに登録されています
err-exists-domain = このドメインはすでに登録されています
err-exists-selector = このセレクターはすでに登録されています
err-exists-gone-layout-or-segment = 指定したレイアウトまたはセグメントはすでに削除されています
err-exists-layout-name = この名前のレイアウトはすでに存在します
err-exists-layout-in-use = このレイアウトを使っているキャンペーンがあります
err-exists-tx-template-name = この名前のトランザクションメールのテンプレートはすでに存在します
err-refused-owner = チームには少なくとも1人のオーナーが必要です
err-refused-nul = テキストにNUL文字が含まれているため保存できません

# フォーム、アップロード、アクセス制限
err-form-expired = このフォームは有効期限が切れているか、このサイトから送信されたものではありません。ページを再読み込みして、もう一度お試しください。
err-page-expired = このページの有効期限が切れています。再読み込みして、もう一度お試しください。
err-form-incomplete = フォームの内容が不完全です: { $error }
err-upload-failed = アップロードに失敗しました: { $error }
err-other-site = 別のサイトから送信されたリクエストのため、お断りしました。
err-not-on-allowlist = お使いのアドレスからはninshoのダッシュボードを利用できません。
err-metrics-local = メトリクスはこのマシンにのみ提供されます。ほかの場所から読み取るには、http.admin_allowlist または http.metrics_token を設定してください。
err-must-enrol = チームで二要素認証が必須になっています。トークンを再び使うには、/account/2fa で登録してください。
err-role-may-not-see = { $role }のロールでは{ $area }を閲覧できません。別のロールをオーナーに依頼してください。
err-role-may-not-change = { $role }のロールでは{ $area }を変更できません。別のロールをオーナーに依頼してください。
err-token-may-not-see = このトークンでは{ $area }を閲覧できません。許可されている範囲は { $granted } です。
err-token-may-not-change = このトークンでは{ $area }を変更できません。許可されている範囲は { $granted } です。
err-area-audience = 購読者管理
err-area-campaigns = キャンペーン
err-area-reports = レポート
err-area-delivery = 送信設定
err-area-team = チーム

# キャンペーン
err-campaign-language = { $value } はninshoが対応している言語ではありません。en か ja を選んでください
err-campaign-name-length = キャンペーン名は1〜200文字で入力してください。
err-campaign-name-fault = キャンペーン名の{ $fault }。
err-from-name-fault = 差出人名の{ $fault }。
err-campaign-from-address = 差出人アドレス: { $value } はメールアドレスではありません。
err-campaign-reply-to = 返信先（Reply-To）: { $value } はメールアドレスではありません。
err-campaign-body-format = 本文の形式として Markdown か HTML を選んでください。
err-campaign-time-zone = タイムゾーン: { $value } は Asia/Tokyo のようなタイムゾーン名ではありません。
err-campaign-window = 配信時間帯: 09:00 と 20:00 のように、開始時刻とそれより後の終了時刻を指定してください。
err-campaign-ab-sample = A/Bテスト: サンプルの割合は0〜100のパーセントで指定してください。
err-campaign-ab-subjects = A/Bテスト: 別の件名は4つまでです。
err-campaign-ab-wait = A/Bテスト: 待ち時間は1分以上にしてください。
err-layout-fault = レイアウト: { $error }
err-not-a-zone = { $zone } はタイムゾーンではありません
err-not-a-moment = { $value } は 2026-12-01T09:00 のような日時ではありません
err-skipped-moment = { $value } は { $zone } には存在しない時刻です（時刻の切り替えで飛ばされます）
err-send-time = 配信日時: { $reason }。
err-only-draft = 配信予約できるのは下書きのキャンペーンだけです。
err-cannot-schedule = 配信予約できません: { $reason }。
err-does-not-render = メールを組み立てられません: { $error }

# 購読者
err-unknown-status = 不明な購読者ステータスです
err-attributes-json = JSONオブジェクトで指定してください（例: {"{"}"plan":"pro"{"}"}）
err-bulk-too-many = 一度に指定できるのは10,000件までです。それ以上は matching を使ってください
err-bulk-ids-or-matching = ids と matching のどちらか一方を指定してください
err-choose-list = 配信リストを指定してください
err-no-list = 配信リスト { $id } は存在しません
err-bulk-action = add_to_list、remove_from_list、blocklist、delete のいずれかを指定してください
err-attribute-name-fault = 属性 { $path } の名前の{ $fault }
err-attribute-value-fault = 属性 { $path } の値の{ $fault }
err-attributes-object = 属性はJSONオブジェクトで指定してください
err-name-fault = 名前の{ $fault }
err-name-too-long = 名前が200文字を超えています
err-subscriber-status = active、unsubscribed、blocklisted、bounced、complained のいずれかを指定してください
err-suppressed = このアドレスまたはそのドメインは配信除外リストに登録されているか、消去済みです
err-subscription-status = unconfirmed、confirmed、unsubscribed のいずれかを指定してください

# 配信リストと登録フォーム
err-signup-too-many = 登録フォームの追加項目は20個までです
err-signup-key = 項目{ $n }: 属性名は1〜100文字の表示できる文字で入力してください
err-signup-built-in = 項目{ $n }: { $key } はフォームにもともと含まれています
err-signup-label-length = 項目{ $n }: ラベルは1〜200文字で入力してください
err-signup-label-fault = 項目{ $n }: ラベルの{ $fault }
err-signup-twice = 項目{ $n }: { $key } が重複しています
err-list-name-length = 配信リスト名は1〜200文字で入力してください
err-description-fault = 説明の{ $fault }
err-public-or-private = public か private を指定してください
err-single-or-double = single か double を指定してください
err-en-or-ja = en か ja を指定してください

# セグメントとインポート
err-segment-name-length = セグメント名は1〜200文字で入力してください
err-import-mode = add、update、unsubscribe、blocklist のいずれかを指定してください
err-not-a-list-id = { $value } は配信リストのIDではありません
err-import-encoding = auto、utf-8、shift_jis のいずれかを指定してください

# 差出人の設定
err-organization-fault = 事業者名の{ $fault }。
err-organization-too-long = 事業者名が200文字を超えています。
err-from-name-too-long = 差出人名が200文字を超えています。
err-from-address-fault = 差出人アドレス: { $reason }。
err-reply-to-fault = 返信先（Reply-To）: { $reason }。
err-settings-time-zone = { $value } はタイムゾーンではありません。Asia/Tokyo のようなタイムゾーンを選んでください。

# キャンペーンを配信できない理由。
err-list-separator = 、
err-prepare-unverified = { $domain } は未確認です。DKIMレコードがまだDNSで確認できません。送信ドメインのページに表示されたレコードを公開してから確認してください（または `ninsho doctor { $domain }` を実行してください）
err-prepare-not-sending = { $domain } はDKIM鍵のある送信ドメインではありません。`ninsho domain add { $domain }` で追加し、DNSレコードを公開してください
err-prepare-identity = { $domain } の送信者情報に未入力の項目があります（{ $missing }）。広告・宣伝メールには送信者の氏名・名称、住所、配信停止とお問い合わせの連絡先の表示が必要です（特定電子メール法）。送信ドメインのページで入力してください
err-prepare-no-from = 差出人アドレスが入力されていません
err-prepare-no-audience = 配信リストまたはセグメントを1つ以上選んでください
err-prepare-empty-audience = 配信対象の購読者がいません

# トランザクションメール（送信APIとそのテンプレート）
err-thing-message = メッセージ
err-thing-credential = 認証情報
err-thing-tx-template = トランザクションメールのテンプレート
err-tx-recipients = 宛先は1件以上{ $max }件以下で指定してください。
err-tx-template-or-body = 保存済みのテンプレート名を指定するか、件名と本文を指定してください。
err-tx-from-missing = 差出人アドレスがありません。from_address を指定するか、差出人アドレスのあるテンプレートを使ってください。
err-tx-not-sending-domain = { $domain } はDKIM鍵のある送信ドメインではありません。送信ドメインのページで追加し、DNSレコードを公開してください。
err-tx-unverified-domain = { $domain } はまだ認証されていません。DKIMレコードがDNSで確認できていません。
err-tx-idempotency-key = Idempotency-Key ヘッダーは1〜255文字で指定してください。
err-tx-key-reused = この Idempotency-Key は別のリクエストで使われています。新しいリクエストには新しいキーを使ってください。
err-tx-header-long = ヘッダーの値は2,000文字以内にしてください。
err-tx-data-object = data はJSONのオブジェクトで指定してください。
err-tx-name = 名前の{ $fault }。
err-tx-call-too-large = このリクエストのメッセージの合計が{ $max } MBを超えています。宛先を分けて送信してください。
err-tx-limit-minute = このトークンで送信できるのは1分あたり{ $limit }通までです。Retry-After の秒数が経ってから再度お試しください。
err-tx-limit-day = このトークンで送信できるのは1日あたり{ $limit }通までです。Retry-After の秒数が経ってから再度お試しください。
err-tx-template-name = テンプレート名は英小文字・数字・ドット・ハイフン・アンダースコアの1〜100文字で、英小文字か数字で始めてください。
err-tx-too-many-files = 1通に添付できるファイルは{ $max }個までです。
err-tx-files-too-large = 添付ファイルの合計が{ $max } MBを超えています。
err-tx-file-base64 = ファイルの内容が正しいBase64ではありません。
err-tx-file-name = ファイル名は空にせず、ドットで始めず、パスや制御文字を含めず、200文字以内にしてください。
err-tx-file-runnable = プログラムやスクリプトは送信できません（受信側で拒否されます）。
err-tx-file-type = { $value } は送信できない形式です。PDF、画像（PNG・JPEG・GIF・WebP）、ZIP、Office文書、テキスト、CSV、カレンダー、vCard、JSONを添付できます。
err-tx-file-content = ファイルの内容が { $value } の形式ではありません。

# 配信ログ
err-log-one-of = 次のいずれかを選んでください：{ $allowed }
err-log-time = { $value } は日時として読めません。2026-12-05T09:30 や 2026-12-05T09:30:00+09:00 のように書いてください。
err-log-raw-addresses = メッセージをダウンロードできるのは、購読者のアドレスを閲覧できるロールだけです。
err-log-not-held = このメッセージは保留中ではありません。
