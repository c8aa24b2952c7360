# ダッシュボードの設定・チーム関連のページ：ホーム、アカウントと二段階認証、
# チーム、APIトークン、Webhook、差出人の設定、操作ログ、ログインと最初の
# 管理者のセットアップ（ブラウザの言語で表示）。
# <code> に表示する技術的な文字列（設定項目、ヘッダー、コマンド）も
# メッセージとして置き、どの言語でも同じ値にしています。

## ホーム

home-title = ホーム
home-heading = ダッシュボード
home-delivery = 配信
home-sandbox = サンドボックス
home-sandbox-before = メッセージは生成されたまま1バイトも変えずに
home-sandbox-link = サンドボックスの受信箱
home-sandbox-middle = に保管され、インターネットには送信されません。受信者のメールサーバーへ DKIM 署名付き・TLS 経由で配信するには
home-sandbox-setting = delivery.mode = "production"
home-sandbox-after = を設定してください。
home-production = 本番配信
home-production-text = メッセージは受信者のメールサーバーへ配信されます。
home-database = データベース
home-team = チーム
home-admin-accounts = 管理者アカウントは{ $n }人です。
home-team-before = メンバーの追加とロールの設定は
home-team-link = チーム
home-team-after = ページで行えます。
home-api = API
home-no-tokens = APIトークンはまだありません。
home-create-token = トークンを作成
home-no-tokens-middle = すると、
home-api-path = /api/v1/
home-no-tokens-after = から ninsho をスクリプトで操作できます。
home-tokens = APIトークンが{ $n }件あります。
home-manage = 管理
home-audience = 購読者
home-no-lists = 配信リストはまだありません。
home-create-list = リストを作成
home-no-lists-middle = し、登録フォーム、
home-import-link = インポート
home-no-lists-after = または API で購読者を集めましょう。
home-audience-counts = 購読者 { $subscribers }（リスト { $lists }）。
home-subscribers = { $n }人
home-lists = { $n }件
home-browse = 一覧
home-segments = セグメント
home-campaigns = キャンペーン
home-no-campaigns = キャンペーンはまだありません。
home-write-campaign = キャンペーンを作成
home-no-campaigns-middle = するか、新しい購読者向けに
home-sequence-link = ステップメール
home-no-campaigns-after = を設定しましょう。
home-col-campaign = キャンペーン
home-col-delivered = 配信成功
home-col-opened = 開封
home-col-clicked = クリック
home-campaign-status-draft = 下書き
home-campaign-status-scheduled = 配信予約
home-campaign-status-sending = 配信中
home-campaign-status-paused = 一時停止
home-campaign-status-finished = 配信完了
home-campaign-status-cancelled = 中止
home-all-campaigns = すべてのキャンペーン
home-new-campaign = 新しいキャンペーン

## アカウント

account-title = アカウント
account-zone-before = ダッシュボードの日時はすべて
account-zone-after = で表示されます。現在は{ $now }です。
account-zone-invalid = { $zone } はタイムゾーンではありません。Asia/Tokyo のようなタイムゾーンを選んでください。
account-zone-saved = 日時を{ $zone }で表示するようにしました。
account-language-now = ダッシュボードは{ $language }で表示されています。
account-language-browser = ブラウザの設定に従う
account-language-unknown = { $language } はダッシュボードで選べる言語ではありません。English、日本語、またはブラウザの設定から選んでください。
account-language-saved = ダッシュボードの表示言語を{ $language }にしました。
account-language-follows = ダッシュボードの表示言語をブラウザの設定に合わせます（現在は{ $language }）。
account-password = パスワード
account-current-password = 現在のパスワード
account-new-password = 新しいパスワード
account-new-password-again = 新しいパスワード（確認）
account-password-hint = 12文字以上で、推測されにくいものにしてください。無関係な単語をいくつか並べるのがおすすめです。変更すると、ほかのセッションはすべてログアウトされます。
account-change-password = パスワードを変更
account-current-wrong = 現在のパスワードが正しくありません。
account-passwords-differ = 新しいパスワードが2つの欄で一致しません。
account-password-changed = パスワードを変更しました。このアカウントのほかのセッションはすべてログアウトされました。
account-2fa = 二段階認証
account-2fa-link = 認証アプリを設定する、または無効にする

## 二段階認証（アカウント）

account-2fa-title = 二段階認証
account-2fa-recovery = 復旧コード
account-2fa-recovery-text = 各コードは、認証アプリのコードの代わりに1回だけ使えます。今すぐ保管してください。ハッシュ値としてのみ保存されるため、二度と表示されません。
account-2fa-state-before = 二段階認証は
account-2fa-on = 有効
account-2fa-on-after = です（{ $email }）。残りの復旧コード：{ $left }個。
account-2fa-your-password = パスワード
account-2fa-off-code = 無効にするための現在のコード（または復旧コード）
account-2fa-turn-off = 無効にする
account-2fa-required = チームで二段階認証が必須になっています。続けるには設定してください。
account-2fa-off = 無効
account-2fa-off-after = です。認証アプリ（RFC 6238 に対応したもの）でこのコードを読み取り、表示された6桁のコードを入力してください。
account-2fa-type-key = または、次のキーを入力してください：
account-2fa-code = コード
account-2fa-turn-on = 有効にする
account-2fa-wrong-password = パスワードが正しくありません。下の新しいQRコードを読み取って、もう一度お試しください。
account-2fa-wrong-code = コードが正しくありません。下の新しいQRコードを読み取り、アプリに表示されたコードを入力してください。
account-2fa-disable-refused = パスワードまたはコードが正しくありません（またはそのコードは使用済みです）。二段階認証は有効のままです。

## チーム

team-title = チーム
team-intro = オーナーはすべての操作ができます。マーケターは購読者、レイアウト、キャンペーンを管理できます。アナリストはレポートと DMARC の分析を閲覧できます。オペレーターは送信ドメイン、送信元IPアドレス、配信を管理できます。レポートは全員が閲覧できます。
team-role = ロール
team-col-2fa = 二段階認証
team-col-added = 追加日
team-change = 変更
team-totp-on = 有効
team-totp-off = 無効
team-remove = 削除
team-add-someone = メンバーを追加
team-first-password = 初期パスワード（本人に伝えてください。アカウントページで変更できます）
team-2fa = 二段階認証
team-require-2fa = 全員に認証アプリの利用を必須にする（未設定のメンバーは設定画面に案内されます）
team-role-owner = オーナー
team-role-marketer = マーケター
team-role-analyst = アナリスト
team-role-operator = オペレーター
team-bad-email = メールアドレスの形式が正しくありません（{ $reason }）。
team-bad-role = { $role } はロールではありません（オーナー、マーケター、アナリスト、オペレーターから選んでください）。
team-first-password-weak = 初期パスワードが弱すぎます（{ $reason }）。
team-already-member = { $email } はすでにチームのメンバーです。
team-needs-owner = チームには少なくとも1人のオーナーが必要です。

## APIトークン

token-title = APIトークン
token-new = 新しいトークン
token-copy-now = 今すぐコピーしてください。ハッシュ値としてのみ保存されるため、二度と表示されません。
token-use-before = { "" }
token-use-header = Authorization: Bearer …
token-use-middle = の形式で
token-use-after = へのリクエストに付けてください。
token-intro = トークンはあなたとして、あなたのロール（{ $role }）の権限、またはチェックした権限だけで動作します。
token-none = トークンはまだありません。
token-col-permissions = 権限
token-col-last-used = 最終使用
token-col-limits = トランザクションメールの上限
token-per-minute = 1分あたり
token-per-day = 1日あたり
token-limits-invalid = 上限は0（無制限）以上の整数で入力してください。
token-revoke = 無効にする
token-name-placeholder = 例：CRM連携
token-narrow = 権限を絞り込む（チェックなし：ロールで可能なすべての操作）
token-create = トークンを作成
token-all-of-role = { $role }のすべての権限
token-never = 未使用
token-name-invalid = トークンの名前は1〜100文字で付けてください。
token-role-lacks = { $role }のロールには { $permission } の権限がないため、そのトークンにも付けられません。
token-bad-permission = { $value } は権限ではありません（audience:read や campaigns:write のように指定します）。
token-permission-audience-read = audience:read（購読者・リストの閲覧）
token-permission-audience-write = audience:write（購読者・リストの編集）
token-permission-campaigns-read = campaigns:read（キャンペーンの閲覧）
token-permission-campaigns-write = campaigns:write（キャンペーンの作成・配信）
token-permission-reports-read = reports:read（レポートの閲覧）
token-permission-reports-write = reports:write（レポートの編集）
token-permission-delivery-read = delivery:read（配信設定の閲覧）
token-permission-delivery-write = delivery:write（配信設定の変更）
token-permission-team-read = team:read（チームの閲覧）
token-permission-team-write = team:write（チームの管理）

## Webhook

webhook-list-title = Webhook
webhook-intro-before = イベントは署名付きの JSON として POST されます。
webhook-signature-header = Ninsho-Signature: v1=
webhook-intro-middle = の値は、
webhook-signed-text = <Ninsho-Timestamp>.<body>
webhook-intro-after = をエンドポイントのシークレットで署名した HMAC-SHA256 の16進数です。送信に失敗したものは3日間、間隔を空けながら再送します。同じ購読者のイベントは順番どおりに届きます。
webhook-none = エンドポイントはまだありません。
webhook-url = URL
webhook-events = イベント
webhook-col-waiting = 送信待ち
webhook-col-delivered = 送信済み
webhook-col-given-up = 送信失敗
webhook-from-config = （アラート、設定ファイルから）
webhook-add-endpoint = エンドポイントを追加
webhook-url-placeholder = https://crm.example.com/hooks/ninsho
webhook-description = 説明
webhook-event-subscribed = 登録（subscribed）
webhook-event-confirmed = 登録確認（confirmed）
webhook-event-unsubscribed = 配信停止（unsubscribed）
webhook-event-delivered = 配信成功（delivered）
webhook-event-bounced = バウンス（bounced）
webhook-event-complained = 迷惑メール報告（complained）
webhook-event-opened = 開封（opened）
webhook-event-clicked = クリック（clicked）
webhook-event-alert = アラート（alert）
webhook-title = Webhook
webhook-signing-secret = 署名用シークレット：
webhook-secret-unopened = （このサーバーの鍵では復号できません）
webhook-save-events = イベントを保存
webhook-send-test = テストイベントを送信
webhook-delete-heading = このエンドポイントの削除
webhook-delete-confirm = このエンドポイントを削除しますか？ イベントは送信されなくなります。
webhook-delete = エンドポイントを削除
webhook-deliveries = 送信履歴
webhook-nothing-sent = まだ何も送信していません。
webhook-col-event = イベント
webhook-col-subscriber = 購読者
webhook-col-attempts = 試行回数
webhook-col-last-answer = 最後の応答
webhook-col-queued = 登録日時
webhook-col-last-try = 最終試行
webhook-col-body = 本文
webhook-send-again = 再送
webhook-json = JSON
webhook-status-queued = 送信待ち
webhook-status-sending = 送信中
webhook-status-delivered = 送信済み
webhook-status-failed = 送信失敗
webhook-unknown-event = { $event } は ninsho が送信するイベントではありません。
webhook-tick-one = イベントを1つ以上チェックしてください。
webhook-not-url = { $url } は URL ではありません。
webhook-bad-url = { $url } はホスト名を含む http(s) の URL ではありません（ユーザー名やパスワードは含められません）。
webhook-exists = { $url } はすでにエンドポイントとして登録されています。
webhook-retry-refused = 再送できるのは、同じ購読者について後続のイベントがない、断念した送信だけです。後続のイベントがすでに送信されているため、このイベントを送ると順番が入れ替わってしまいます。

## 差出人の設定

settings-title = 差出人の設定
settings-who = 差出人
settings-organization = 事業者名（公開ページに表示）
settings-organization-placeholder = 株式会社サンプル商店
settings-organization-hint = 購読者が見るページ（登録、登録確認、配信設定の変更、配信停止）の上部に表示されます。
settings-defaults = 新しいキャンペーンの初期値
settings-from-name = 差出人名（From）
settings-from-address = 差出人アドレス
settings-from-address-placeholder = news@your-domain.example
settings-reply-to = 返信先（Reply-To）
settings-count-opens = 開封を計測する
settings-count-clicks = クリックを計測する
settings-defaults-hint = キャンペーンごとに変更できます。タイムゾーンは、自分のタイムゾーンを選んでいない管理者のダッシュボードにも使われます。
settings-save = 設定を保存

## 操作ログ

audit-title = 操作ログ
audit-intro = メンバーやトークンによるすべての変更を、新しい順に表示します。記録はオーナーも含め、誰も編集・削除できません。
audit-search-placeholder = 実行者、操作、アドレス、詳細
audit-show = 表示
audit-show-changes = 変更
audit-show-logins = ログインとログアウト
audit-show-all = すべて
audit-nothing = 記録はありません。
audit-nothing-matches = 「{ $q }」に一致する記録はありません。
audit-col-action = 操作
audit-col-answer = 応答
audit-col-sent = 送信内容
audit-older = 以前の記録 →
audit-via-session = ダッシュボード
audit-via-cli = コマンドライン
audit-via-token = APIトークン「{ $name }」

## ログイン（ブラウザの言語）

login-title = ログイン
login-password = パスワード
login-wrong = メールアドレスまたはパスワードが正しくありません。
login-throttled = { $error }お使いのアドレスからのログイン失敗が多いため、試行ごとに{ $n }秒お待ちいただいています。
login-code-title = コード
login-code-heading = コードの入力
login-code-label = 認証アプリに表示された6桁のコード、または復旧コード
login-code-wrong = コードが正しくないか、すでに使用されています。次のコードが表示されるまでお待ちください。

## 最初の管理者のセットアップ（ブラウザの言語）

setup-title = セットアップ
setup-heading = 最初の管理者を作成
setup-intro-before = 管理者アカウントはまだありません。最初の管理者のメールアドレスとパスワードを決めてください。セットアップコードは、ninsho の起動時に表示されたリンクに含まれています（シェルから
setup-command = ninsho admin create
setup-intro-after = でアカウントを作成することもできます）。
setup-code = セットアップコード
setup-password-again = パスワード（確認）
setup-hint = 12文字以上にしてください。無関係な単語をいくつか並べると、強力で覚えやすいパスワードになります。よく使われるパスワードや流出したパスワードは使えません。
setup-create = 管理者を作成
setup-wrong-code = セットアップコードが正しくありません。ninsho の起動時に表示されたリンクを使ってください。
setup-bad-email = メールアドレスの形式が正しくありません（{ $reason }）。
setup-passwords-differ = 2つの欄のパスワードが一致しません。
# パスワードを使えない理由（節として。アカウントページとチームページでも使います）。
# 文として表示するときは setup-full-stop を付けます。
setup-password-too-short = パスワードは{ $min }文字以上にしてください
setup-password-too-long = パスワードは{ $max }文字以内にしてください
setup-password-has-email = アカウントのメールアドレスを含むパスワードは推測されやすいため使えません
setup-password-weak = 推測されやすいパスワードです（{ $hint }）
setup-full-stop = 。

## エラーアドレス自動停止
bounce-rules-title = エラーアドレス自動停止
bounce-rules-intro = 配信エラーが続くアドレスは、自動的に配信を停止します。エラーの理由ごとに、何日以内に何回エラーになったら配信除外リストに追加するかを設定できます。
bounce-rules-by-reason = エラー理由ごとのルール
bounce-rules-bounces = 停止までの回数
bounce-rules-days = 期間（日）
bounce-rules-built-in = 初期設定
bounce-rules-never = 停止しない
bounce-rules-at-once = 1回目で停止
bounce-rules-rule = { $days }日以内に{ $bounces }回
bounce-rules-hint = 回数を0にすると、その理由では停止しません。送信側の問題（送信レート、評価、認証、ポリシー）はアドレスに原因がないため、初期設定では停止しません。変更したルールは次のエラーから適用されます。すでに配信除外リストにあるアドレスはそのままです。
bounce-rules-error-rate-title = エラー率の警告
bounce-rules-error-rate = キャンペーンのエラー率がこの値を超えたら警告する（%）
bounce-rules-error-rate-hint = 送信数が50通以上のキャンペーンで、エラーの割合がこの値を超えると、管理者にメールとWebhookで一度だけお知らせします。0にすると警告しません。
bounce-rules-save = ルールを保存
bounce-rules-reset = 初期設定に戻す
bounce-rules-restored = 初期設定のルールに戻しました。
bounce-rules-bad-rule = 「{ $reason }」のルールが正しくありません。回数は0〜100、期間は1〜365日で入力してください。
bounce-rules-bad-rate = エラー率は0〜100の数値で入力してください。
