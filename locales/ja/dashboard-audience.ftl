# ダッシュボードの購読者管理のページ: 購読者、配信リスト、セグメント、
# インポート、配信除外リスト。

# 購読者（検索と一括操作）
subscriber-all-title = 購読者
subscriber-in-all = 全{ $n }人
subscriber-add = 購読者を追加
subscriber-search-text = メールアドレスまたは名前
subscriber-search-list = 配信リスト
subscriber-search-any = すべて
subscriber-none-before = 購読者はまだいません。購読者は登録フォーム、
subscriber-none-imports = インポート
subscriber-none-middle = 、API、または
subscriber-none-by-hand = 手動での追加
subscriber-none-after = によって登録されます。
subscriber-no-match = 検索条件に一致する購読者はいません。
subscriber-bulk-confirm = 選択した購読者にこの操作を実行しますか？
subscriber-bulk-action = 操作
subscriber-bulk-action-choose = 操作を選択…
subscriber-bulk-add-to-list = リストに追加
subscriber-bulk-remove-from-list = リストから外す
subscriber-bulk-blocklist = ブロックリストに追加
subscriber-bulk-list = 配信リスト
subscriber-bulk-list-choose = リストを選択…
subscriber-bulk-whom = 対象
subscriber-bulk-ticked = チェックした購読者
subscriber-bulk-matching = 検索条件に一致するすべての購読者
subscriber-bulk-apply = 実行
subscriber-choose = 選択
subscriber-choose-one = { $email } を選択
subscriber-added-column = 登録日
subscriber-bulk-search-first = 先に検索してください。一致する全員を対象にする操作には検索条件が必要です。
subscriber-bulk-tick = 操作する購読者にチェックを入れるか、検索条件に一致する全員を対象に選んでください。
subscriber-bulk-choose-list = リストを選択してください。
subscriber-bulk-choose-action = 操作を選択してください。
subscriber-bulk-added = { $n }人の購読者をリストに追加しました。
subscriber-bulk-removed = { $n }人の購読者をリストから外しました。
subscriber-bulk-blocklisted = { $n }人の購読者をブロックリストに追加しました。
subscriber-bulk-deleted = { $n }人の購読者を削除しました。

# 購読者の状態（subscribers.status）。
subscriber-status-active = 有効
subscriber-status-unsubscribed = 配信停止
subscriber-status-blocklisted = ブロック済み
subscriber-status-bounced = バウンス
subscriber-status-complained = 苦情あり

# リストごとの登録状態（subscriptions.status）。
subscriber-list-status-unconfirmed = 確認待ち
subscriber-list-status-confirmed = 登録済み
subscriber-list-status-unsubscribed = 配信停止

# 購読者の詳細ページ
subscriber-added-changed = 登録日時: { $added }、更新日時: { $changed }。ブロック済みの購読者にはメールが配信されず、再登録もできません。
subscriber-lists = 配信リスト
subscriber-on-no-list = どのリストにも登録されていません。
subscriber-list-column = リスト
subscriber-since = 登録日
subscriber-take-off = { $email } を「{ $list }」から外しますか？
subscriber-add-to = 追加先
subscriber-add-confirmed = 追加（登録済みとして）
subscriber-history = 履歴
subscriber-history-empty = まだ履歴はありません。この購読者に届いたキャンペーンも、登録したリストもありません。
subscriber-history-what = 内容
subscriber-history-campaign-or-list = キャンペーンまたはリスト
subscriber-history-detail = 詳細
subscriber-activity-machine = （自動アクセス）

# 購読者の履歴の内容: 配信の状態、計測したイベント、リスト登録の変更。
subscriber-activity-queued = 配信待ち
subscriber-activity-held = 保留中
subscriber-activity-sending = 配信中
subscriber-activity-deferred = 再送待ち
subscriber-activity-delivered = 配信成功
subscriber-activity-bounced = バウンス
subscriber-activity-failed = 配信失敗
subscriber-activity-suppressed = 配信除外
subscriber-activity-open = 開封
subscriber-activity-click = クリック
subscriber-activity-subscribed = リスト登録
subscriber-activity-unsubscribed = 配信停止

subscriber-messages = 確認メールと通知
subscriber-messages-empty = このアドレスに確認メールや通知メールは送信されていません（キャンペーンは上の履歴にあります）。
subscriber-message-subject = 件名
subscriber-message-kind = 種類

# ninsho自身が送るメールの種類と状態（outbound_messages）。
subscriber-message-kind-confirmation = 登録確認
subscriber-message-kind-address-confirmation = アドレス変更の確認
subscriber-message-kind-address-changed = アドレス変更の通知
subscriber-message-kind-alert = 警告通知
subscriber-message-kind-test = テスト配信
subscriber-message-kind-campaign = キャンペーン
subscriber-message-status-queued = 送信待ち
subscriber-message-status-sending = 送信中
subscriber-message-status-deferred = 再送待ち
subscriber-message-status-sent = 送信済み
subscriber-message-status-failed = 送信失敗
subscriber-message-status-captured = サンドボックスに保存

subscriber-consent = 同意
subscriber-consent-given = 取得元: { $source }。同意日時: { $at }
subscriber-consent-from = （IPアドレス: { $ip }）
subscriber-consent-end = 。
subscriber-email-confirmed = メールアドレス確認済み: { $at }
subscriber-email-not-confirmed = メールアドレスはリンクで確認されていません。
subscriber-privacy = 個人情報
subscriber-export = この購読者についてninshoが保持するすべての情報をダウンロード（JSON）
subscriber-erase-confirm = この購読者を完全に消去しますか？
subscriber-erase-hint = 消去すると、購読者とそのリスト登録・メールが削除されます。今後メールを送ったりインポートしたりしないよう、アドレスのハッシュ値だけが残ります。
subscriber-erase = 個人情報を消去

# 購読者のフォームの通知とエラー
subscriber-added = 追加しました。
subscriber-added-to-list = リストに追加しました。
subscriber-removed-from-list = リストから外しました。
subscriber-choose-list = リストを選択してください。
subscriber-add-or-remove = 追加か削除かを指定してください。
subscriber-choose-status = ステータスを選択してください。
subscriber-bad-email = メールアドレス: { $reason }。
subscriber-suppressed = このアドレスまたはそのドメインは配信除外リストに登録されているか、消去済みのため追加できません。
subscriber-exists = { $email } はすでに購読者です。
subscriber-name-fault = 名前の{ $fault }。
subscriber-name-too-long = 名前が200文字を超えています。
subscriber-attribute-not-json = 属性 { $key }: { $value } は数値、true/false、JSONのいずれでもありません。
subscriber-attribute-twice = 属性 { $key } が重複しています。
subscriber-attribute-name-fault = 属性: 属性 { $path } の名前の{ $fault }。
subscriber-attribute-value-fault = 属性: 属性 { $path } の値の{ $fault }。

# 入力したテキストで使えない文字。$what は文字の名前とコード（例: 改行 (U+000A)）。
subscriber-text-fault = { $position }文字目に{ $what }が含まれています
subscriber-char-carriage-return = 復帰文字
subscriber-char-line-break = 改行
subscriber-char-tab = タブ
subscriber-char-nul = NUL文字
subscriber-char-line-separator = 行区切り文字
subscriber-char-control = 制御文字

# メールアドレスが正しくない理由。
subscriber-email-empty = アドレスが空です
subscriber-email-too-long = アドレスが254文字を超えています
subscriber-email-no-at = アドレスに @ がありません
subscriber-email-bad-local-part = @ の前の部分が空か、64文字を超えています
subscriber-email-bad-local-char = @ の前の部分に使用できない文字が含まれています: { $char }
subscriber-email-bad-domain = ドメイン { $domain } は有効なドメイン名ではありません

# 購読者の手動追加、属性
subscriber-new-title = 購読者を追加
subscriber-new-lists = 配信リスト（登録済みとして追加）
subscriber-new-no-lists = 配信リストはまだありません。
subscriber-new-hint = メールの受け取りに同意した人だけを追加してください。あなたが追加したことが記録に残ります。
subscriber-attributes = 属性
subscriber-attribute-key = キー
subscriber-attribute-value = 値
subscriber-attribute-value-of = { $key } の値
subscriber-attribute-new-key = 新しいキー
subscriber-attributes-hint = キーを空にすると、その属性を削除します。値はテキストとして保存されます。ただし、もともと数値、true/false、リストだった値はそのまま保たれます。

# 配信リスト
list-all-title = 配信リスト
list-none = 配信リストはまだありません。下のフォームで作成してください。購読者は登録フォーム、インポート、APIでリストに登録されます。
list-optin = オプトイン
list-visibility = 公開設定
list-confirmed-subscribers = 登録済みの購読者
list-optin-single = シングルオプトイン
list-optin-double = ダブルオプトイン
list-visibility-public = 公開
list-visibility-private = 非公開
list-export-csv = CSVでエクスポート
list-signup-page = 登録ページ:
list-embed = フォームをサイトに埋め込む

# 埋め込み用の登録フォームの言葉（リストの言語）。
list-embed-your-name = お名前
list-embed-subscribe = 登録する
list-new = 新しい配信リスト
list-description = 説明
list-optin-double-choice = ダブルオプトイン（確認メールあり）
list-optin-single-choice = シングルオプトイン
list-fields = 登録フォームの追加項目

# 「（1行に1項目: <code>属性 | ラベル</code>。必須にするには <code>| required</code> を末尾に付けます）」
list-fields-hint-before = （1行に1項目:{ " " }
list-fields-hint-syntax = 属性 | ラベル
list-fields-hint-middle = 。必須にするには{ " " }
list-fields-hint-required = | required
list-fields-hint-after = { " " }を末尾に付けます）
list-fields-example =
    company | 会社名
    prefecture | 都道府県 | required
list-language = ページとメールの言語
list-visibility-public-choice = 公開（登録ページ、配信設定ページ）
list-visibility-private-choice = 非公開
list-create = 配信リストを作成
list-title = 配信リスト { $name }
list-heading = 配信リスト: { $name }
list-confirmed = 登録済み
list-members = 購読者を見る
list-unconfirmed = 確認待ち
list-unconfirmed-hint = ダブルオプトイン: 確認メールのリンクがまだ開かれていません。
list-unsubscribed = 配信停止
list-export = リストをエクスポート（CSV）
list-signup = 登録フォーム
list-private-hint = 非公開のリストには登録ページがありません。インポート、API、または手動で登録します。
list-settings = 設定
list-delete-confirm = このリストと、リストへのすべての登録を削除しますか？
list-delete-hint = 削除すると、リストと、このリストへの登録情報がすべて削除されます（購読者自体は残ります）。
list-delete = リストを削除
list-choose-optin-visibility = オプトインと公開設定を選択してください。
list-name-length = リスト名は1〜200文字で入力してください。
list-name-fault = リスト名の{ $fault }。
list-description-fault = 説明の{ $fault }。
list-fields-fault = 登録フォームの追加項目: { $fault }。
list-choose-language = ページとメールの言語を選択してください。
list-name-taken = { $name } という名前のリストはすでにあります。

# セグメント
segment-all-title = セグメント
segment-none = セグメントはまだありません。セグメントは属性、リスト、ステータスで購読者を絞り込みます。キャンペーンの配信先に指定できます。
segment-new = 新しいセグメント
segment-title = セグメント { $name }
segment-heading = セグメント

# 「次の条件の [すべて|いずれか] に一致する購読者」
segment-match-before = 次の条件の
segment-match-all = すべて
segment-match-any = いずれか
segment-match-after = に一致する購読者
segment-add-condition = + 条件を追加
segment-json = JSONで指定（入れ子、"not" グループ）
segment-matching-now = 現在の該当数:
segment-json-invalid = JSONの形式が正しくありません。
segment-save = セグメントを保存
segment-kind-attribute = 属性
segment-kind-list = リスト登録
segment-kind-status = ステータス
segment-kind-activity = 行動
segment-key-placeholder = 属性（例: plan）
segment-op-eq = 等しい
segment-op-ne = 等しくない
segment-op-contains = 含む
segment-op-in = いずれかに等しい（カンマ区切り）
segment-op-exists = 設定あり
segment-op-not-exists = 設定なし
segment-op-within-days = 日付が過去N日以内
segment-op-older-than-days = 日付がN日より前
segment-value-placeholder = 値
segment-did-opened = 開封した
segment-did-clicked = クリックした
segment-did-received = 受信した
segment-did-bounced = バウンスした
segment-any-campaign = すべてのキャンペーン

# 「過去 [N] 日以内」
segment-days-before = 過去
segment-days-placeholder = 指定なし
segment-days-after = 日以内
segment-not = 該当しない
segment-remove-condition = 条件を削除
segment-filter-invalid = フィルターが正しくありません: { $error }。
segment-name-length = セグメント名は1〜200文字で入力してください。
segment-name-taken = { $name } という名前のセグメントはすでにあります。

# インポート
import-all-title = インポート
import-subscribers = 購読者のインポート
import-mode = モード
import-mode-add-choice = 追加: 新しいアドレスを追加し、既存のアドレスはそのまま（リストには登録）
import-mode-update-choice = 更新: 既存の購読者の名前と属性も上書き
import-mode-unsubscribe-choice = 選択したリストからアドレスを配信停止（未選択ならすべてのリスト）
import-mode-blocklist-choice = アドレスをすべてのリストでブロック
import-lists = 配信リスト
import-no-lists-before = 配信リストはまだありません。インポートしたアドレスを登録するには
import-no-lists-link = リストを作成
import-no-lists-after = してください。
import-encoding = 文字コード
import-encoding-auto = 自動判定（BOMあり・なしのUTF-8、またはShift_JIS）
import-encoding-utf8 = UTF-8
import-encoding-shift-jis = Shift_JIS / CP932（日本語版Excel）
import-mapping = ファイルの列と取り込み先:
import-column = 列
import-goes-to = 取り込み先

# 列の取り込み先の選択肢（スクリプトが作る）: 属性「<列名>」、メールアドレス、名前、取り込まない、名前を指定した属性。
import-map-attribute-before = 属性「
import-map-attribute-after = 」
import-map-email = メールアドレス
import-map-name = 名前
import-map-skip = この列は取り込まない
import-map-attribute-named = 名前を指定して属性に…
import-map-attribute-name = 属性名
import-file = CSVファイル

# 「1行目には列名を書きます: <code>email</code>（または <code>メールアドレス</code>）、
# <code>name</code>（または <code>氏名</code>）。それ以外の列は…」
import-hint-columns = 1行目に列名を記載してください:{ " " }
import-hint-email = email
import-hint-or = （または{ " " }
import-hint-email-alt = メールアドレス
import-hint-between = ）、
import-hint-name = name
import-hint-name-alt = 氏名
import-hint-rest = ）。それ以外の列はすべて属性になります。不正な行があっても中断せず、行番号と理由を表示します。
import-button = インポート
import-recent = 最近のインポート
import-file-column = ファイル
import-imported = 取り込み
import-rejected = 除外
import-started = 開始日時

# インポートのモードと状態（imports.mode、imports.state）。
import-mode-add = 追加
import-mode-update = 更新
import-mode-unsubscribe = 配信停止
import-mode-blocklist = ブロック
import-state-running = 実行中
import-state-finished = 完了
import-state-failed = 失敗

import-title = インポート { $file }
import-heading = { $file } のインポート
import-state-label = 状態:
import-mode-is = モード: { $mode }
import-read-as = 文字コード: { $encoding }

# 「<N>行を取り込み、<M>行を除外しました[（処理中…）]。」
import-rows-imported = 行を取り込み、
import-rows-rejected = 行を除外しました
import-so-far = （処理中の件数です。このページは自動で更新されます）
import-rows-end = 。
import-download-rejected = 除外された行と理由をダウンロード（CSV）
import-line = 行番号
import-reason = 理由
import-row = 行の内容
import-first-shown = 最初の{ $n }件を表示しています。CSVにはすべて含まれます。
import-upload-failed = アップロードに失敗しました: { $error }
import-choose-file = インポートするCSVファイルを選択してください。
import-unknown-list = リスト { $id } は存在しません
import-upload-broke = アップロードに失敗しました: { $error }
import-too-large = ファイルが{ $gib } GiBを超えています

# 配信除外リスト
suppression-title = 配信除外リスト
suppression-hint = これらのアドレスとドメインには、どのリストに登録されていても一切配信しません。ハードバウンスや苦情のあったアドレスは自動で追加されます。消去した購読者はハッシュ値としてのみ保持され、ここには表示されません。
suppression-value = アドレスまたはドメイン
suppression-placeholder-value = someone@example.com または example.com
suppression-reason = 理由
suppression-placeholder-reason = 電話で依頼あり
suppression-add = 配信除外に追加
suppression-contains = 検索語
suppression-none = 配信除外されているものはありません。
suppression-no-match = 「{ $q }」に一致するものはありません。
suppression-kind = 種類
suppression-since = 登録日時
suppression-lift-confirm = { $value } の配信除外を解除しますか？
suppression-lift = 解除

# 配信除外の種類（suppressions.kind）。
suppression-kind-address = アドレス
suppression-kind-domain = ドメイン
suppression-kind-address-hash = アドレス（ハッシュ）

# ninsho自身が記録する理由（suppressions.reason）。それ以外の理由は入力されたまま表示します。
suppression-reason-added-by-hand = 手動で追加
suppression-reason-erased-at-the-subscriber-s-request = 購読者の依頼により消去

suppression-fault-reason = 理由の{ $fault }
suppression-refused = { $value }: { $error }。
suppression-added = { $value } を配信除外に追加しました。今後は一切配信されません。
suppression-lifted = 配信除外を解除しました。再び配信できるようになります。
