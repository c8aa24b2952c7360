# メール本体の文言：既定レイアウトのフッターと、自動生成するテキスト版のフッター。
# キャンペーンの言語で表示します。

layout-reason = このメールは{ $list }にご登録いただいた方にお送りしています。
layout-view = ブラウザで表示
layout-preferences = 配信設定の変更
layout-unsubscribe = 配信停止

# 特定電子メール法の表示（送信者の氏名・名称、住所、配信停止と問い合わせの連絡先）。
layout-sender = 発行：{ $value }
layout-address = 住所：{ $value }
layout-contact = 配信停止・お問い合わせ：{ $value }
