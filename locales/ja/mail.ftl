# メール本体の文言：既定レイアウトのフッターと、自動生成するテキスト版のフッター。
# キャンペーンの言語で表示します。

layout-reason = このメールは{ $list }にご登録いただいた方にお送りしています。
layout-view = ブラウザで表示
layout-preferences = 配信設定の変更
layout-unsubscribe = 配信停止
