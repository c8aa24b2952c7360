# ダッシュボードのナビゲーション、エラーページ、スクリプトの言葉。

nav-menu = メニュー
nav-main = メインメニュー
nav-home = ホーム
nav-audience = 購読者管理
nav-subscribers = 購読者
nav-lists = 配信リスト
nav-segments = セグメント
nav-import = インポート
nav-suppressions = 配信除外リスト
nav-campaigns-group = メール配信
nav-campaigns = キャンペーン
nav-sequences = ステップメール
nav-layouts = レイアウト
nav-sandbox = サンドボックスの受信箱
nav-deliverability = 到達率
nav-reports = DMARCレポート
nav-domains = 送信ドメイン
nav-bounce-rules = エラーアドレス自動停止
nav-settings = 設定
nav-sender-settings = 差出人の設定
nav-team = チーム
nav-audit = 操作ログ
nav-webhooks = Webhook
nav-tokens = APIトークン
nav-account = アカウント
nav-log-out = ログアウト

script-copied = コピーしました
script-press-copy = 選択しました。Ctrl+C でコピーしてください

error-bad-request = リクエストが正しくありません
error-cannot-be-done = 実行できません
error-already-there = すでに存在します
error-login-required = ログインが必要です
error-log-in = 続けるにはログインしてください。
error-forbidden = アクセスできません
error-not-allowed = 権限がありません
error-not-found = 見つかりません
error-nothing-here = このアドレスにはページがありません。
error-too-many = 試行回数が多すぎます
error-went-wrong = エラーが発生しました
error-logged = エラーは記録されました。もう一度お試しください。
error-token-required = 有効なAPIトークンが必要です（Authorization: Bearer nsh_…）
error-internal = 内部エラー
error-back = ダッシュボードに戻る

identity-control = 改行などの制御文字は使えません。
identity-too-long = 長すぎます。{ $n }文字以内で入力してください。
identity-contact = メールアドレス、または https:// で始まるURLを入力してください。
