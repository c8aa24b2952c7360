# ダッシュボードのキャンペーン関連ページ: キャンペーン、プレビューと配信、
# レイアウト、ステップメール、サンドボックスの受信箱。


# キャンペーン一覧（campaigns.html）と、キャンペーンの各ページで共通に使う言葉。
campaign-list-title = キャンペーン
campaign-new = 新しいキャンペーン
campaign-list-empty-before = キャンペーンはまだありません。
campaign-list-empty-write = 最初のキャンペーンを作成
campaign-list-empty-middle = しましょう。メールの見た目は
campaign-list-empty-layout = レイアウト
campaign-list-empty-after = で決まります。
campaign-col-campaign = キャンペーン
campaign-recipients = 受信者数
campaign-col-delivered = 配信成功
campaign-col-opened = 開封率
campaign-col-clicked = クリック率
campaign-col-send-time = 配信日時
campaign-report = レポート
campaign-list-hint = 開封率とクリック率は、配信に成功したメールのうち、人（メールを取得する機械ではなく）が開封・クリックした割合です。下書きの受信者数は現時点の配信対象の人数です。

# キャンペーンの状態（campaigns.status）。
campaign-state-draft = 下書き
campaign-state-scheduled = 配信予約済み
campaign-state-sending = 配信中
campaign-state-paused = 一時停止中
campaign-state-finished = 配信完了
campaign-state-cancelled = 中止

# キャンペーンの編集ページ（campaign.html）。
campaign-title = キャンペーン「{ $name }」
campaign-could-not-start = 配信を開始できませんでした: { $error }
campaign-audience-now-before = 現在の配信対象:
campaign-audience-now-after = 人
campaign-preview = プレビュー
campaign-score = 到達率スコア
campaign-copy = コピーを作成
campaign-step-of-before = { "" }
campaign-step-of-link = ステップメール
campaign-step-of-after = のステップです。ステップメールが有効なときに配信されます。編集するにはステップメールを一時停止してください。
campaign-when-legend = 配信日時
campaign-when-at = 日時を指定:
campaign-when-now = 確認後すぐに配信
campaign-review = 確認して配信…
campaign-review-hint = 次のページで配信対象、送信ドメイン、配信日時を確認できます。そこで確定するまでは何も配信されません。
campaign-send-time = 配信日時: { $time }
campaign-send-time-zones = { $shown }（キャンペーンのタイムゾーン { $zone } では { $local }）
campaign-recipients-count = 受信者数: { $count }人
campaign-action-unschedule = 下書きに戻す
campaign-action-pause = 一時停止
campaign-action-resume = 再開
campaign-action-cancel = 配信を中止
campaign-confirm-cancel = このキャンペーンの配信を中止しますか？
campaign-test-title = テスト配信
campaign-test-to = 宛先
campaign-test-placeholder = you@example.com, colleague@example.com
campaign-test-send = テスト配信する
campaign-test-hint = テストはここに入力したアドレスにだけ届きます。件名の先頭に“[Test]”が付き、配信対象の最初の購読者の内容で差し込みされます。
campaign-from-name = 差出人名
campaign-from-address = 差出人アドレス
campaign-from-address-placeholder = news@your-domain.example
campaign-reply-to = 返信先
campaign-subject = 件名
campaign-subject-placeholder = {"{{"} subscriber.name {"}}"} 様へのお知らせ
campaign-preheader = プレヘッダー
campaign-preheader-hint = （受信箱で件名の後に表示される1行）
campaign-audience = 配信対象
campaign-segment = さらにセグメントで絞り込む
campaign-no-segment = （セグメントなし）
campaign-audience-hint = 登録確認済みで有効な購読者だけが対象です。配信除外リストのアドレスとドメインは常に除かれ、同じアドレスには1通だけ届きます。
campaign-body-format = 本文の形式
campaign-format-markdown = Markdown
campaign-format-html = HTML
campaign-layout = レイアウト
campaign-layout-built-in = 組み込みのレスポンシブレイアウト
campaign-time-zone-placeholder = Asia/Tokyo
campaign-language-of-list = 最初のリストの言語
campaign-body = 本文
campaign-text-version = テキスト版（空欄の場合はHTMLから作成）
campaign-plan-legend = 受信者ごとの配信タイミング
campaign-zone-attribute = 受信者のタイムゾーンを示す属性
campaign-zone-attribute-placeholder = timezone（空欄: キャンペーンのタイムゾーン）
campaign-window-from = 配信時間帯
campaign-window-to = ～
campaign-plan-hint-before = タイムゾーンの属性（値は
campaign-plan-hint-after = などの形式）を指定すると、09:00に予約したキャンペーンは各受信者の現地時間の09:00に届きます。属性のない受信者にはキャンペーンのタイムゾーンを使います。配信時間帯の外では、次に時間帯が始まるまで配信を待ちます。
campaign-ab-title = 件名のA/Bテスト
campaign-ab-subjects = ほかの件名（1行に1つ）
campaign-ab-sample-before = 配信対象の
campaign-ab-sample-after = % でテストし、
campaign-ab-wait-before = { "" }
campaign-ab-wait-after = 時間後に
campaign-ab-metric-before = { "" }
campaign-ab-metric-opens = 開封数
campaign-ab-metric-clicks = クリック数
campaign-ab-metric-after = が最も多かった件名を残りの配信対象に配信します（機械ではなく人の数で比較）。
campaign-track-opens = 開封を計測
campaign-track-clicks = クリックを計測
campaign-anonymous-tracking = 匿名で計測（購読者ごとには記録しない）
campaign-save-draft = 下書きを保存
campaign-delete-title = このキャンペーンを削除
campaign-delete-confirm = 「{ $name }」を完全に削除しますか？
campaign-delete = キャンペーンを削除
campaign-delete-hint = レポートも一緒に削除されます。

# キャンペーンの編集ページで、操作の結果や入力の誤りを伝える言葉。
campaign-bad-window = 配信時間帯: { $value } は09:00のような時刻ではありません。
campaign-cannot-save = 保存できません。レイアウトやセグメントが削除されたか、キャンペーンが下書きではなくなっています。
campaign-choose-when = 配信日時を選んでください（今すぐ、または日時を指定）。
campaign-copied = コピーを作成しました。必要な箇所を変更してから配信してください。
campaign-delete-first = 削除する前に、キャンペーンを一時停止するか配信を中止してください。
campaign-cannot-action = 現在の状態では「{ $label }」を実行できません。
campaign-now-state = 状態を「{ $label }」に変更しました。
campaign-test-bad-address = テスト配信の宛先 { $address } が正しくありません（{ $reason }）。
campaign-test-none = テスト配信の宛先を1つ以上入力してください。
campaign-test-too-many = テスト配信の宛先は一度に10件までです。
campaign-test-queued = { $count }件のアドレスへのテスト配信を受け付けました。数秒以内に送信されます。
campaign-test-captured = { $count }件のアドレスにテスト配信しました。サンドボックスの受信箱で確認できます。
campaign-cannot-render = 差し込みを処理できません: { $error }

# 配信前の最終確認（campaign_send.html）。
campaign-send-title = 「{ $name }」を配信しますか？
campaign-send-heading = 「{ $name }」を配信しますか？
campaign-send-intro = まだ何も配信されていません。ボタンを押すと、次の内容で配信します。
campaign-audience-every-list = 人（すべてのリスト）
campaign-audience-lists = 人（リスト: { $lists }）
campaign-audience-every-list-segment = 人（すべてのリストのうち、セグメント「{ $segment }」に該当する購読者のみ）
campaign-audience-lists-segment = 人（リスト: { $lists }。セグメント「{ $segment }」に該当する購読者のみ）
campaign-send-right-away = 今すぐ（{ $when }）
campaign-when-own-zones = 各受信者のタイムゾーンで { $time }
campaign-send-from = 差出人
campaign-send-signed-by = 署名ドメイン
campaign-signing-no-from = 差出人アドレスがまだありません。
campaign-signing-no-key = { $domain }: DKIM鍵がまだないため、署名なしで送信されます（サンドボックスのみ）
campaign-signing-unseen = { $domain }（DKIM署名あり。DNSレコードはまだ確認できていません）
campaign-signing-verified = { $domain }（DKIM署名あり。ドメインは認証済みです）
campaign-send-delivery = 配信方法
campaign-send-sandbox = サンドボックス
campaign-send-sandbox-detail = サンドボックスの受信箱に保存され、このマシンの外には送られません
campaign-send-production = 本番
campaign-send-production-detail = 各受信者のメールサーバーに配信します
campaign-send-now = { $count }人に今すぐ配信
campaign-schedule-for = { $when }に配信予約
campaign-send-back = キャンペーンに戻る
campaign-scheduled = { $when }に{ $count }人への配信を予約しました。

# キャンペーンのプレビュー（preview.html）。スマートフォンとデスクトップの枠はレイアウトでも使います。
preview-title = プレビュー: { $name }
preview-heading = プレビュー:
preview-as-subscriber = 表示する購読者
preview-as-subscriber-placeholder = 配信対象の最初の購読者
preview-show = 表示
preview-for = 宛先:
preview-subject = — 件名:
preview-phone = スマートフォン（375 px）
preview-phone-title = スマートフォンでのプレビュー
preview-desktop = デスクトップ
preview-desktop-title = デスクトップでのプレビュー
preview-text-version = テキスト版

# レイアウト（layouts.html、layout.html）。mail.ftl の layout-reason、layout-view、layout-preferences、layout-unsubscribe は組み込みレイアウトの中の言葉です。
layout-list-title = レイアウト
layout-list-hint-before = レイアウトは、それを使うすべてのキャンペーンを包む枠です。本文を入れる位置に
layout-list-hint-after = を置いてください。専用のレイアウトがないキャンペーンには、組み込みのレスポンシブレイアウトが使われます。
layout-list-empty = 独自のレイアウトはまだありません。
layout-new = 新しいレイアウト
layout-title = レイアウト「{ $name }」
layout-heading = レイアウト
layout-html = HTML
layout-html-hint-before = （minijinja。
layout-html-hint-after = 内のCSSはキャンペーンのコンパイル時にインライン化され、メディアクエリはそのまま残ります）
layout-save = レイアウトを保存
layout-preview = プレビュー
layout-preview-hint = 保存済みのレイアウトに例文の本文を入れ、スマートフォンとデスクトップでの見え方を表示しています。
layout-delete-title = このレイアウトを削除
layout-delete-confirm = このレイアウトを削除しますか？
layout-delete = レイアウトを削除
layout-delete-hint = キャンペーンで使われているレイアウトは削除できません。
layout-name-needed = レイアウトの名前は1～200文字で入力してください。
layout-name-taken = { $name } という名前のレイアウトはすでにあります。
layout-in-use = このレイアウトを使っているキャンペーンがあります。削除する前に、それらのキャンペーンのレイアウトを変更してください。
layout-sample-subject = 例
layout-sample-body =
    # 見出し

    レイアウトでの文章の見え方を確かめるための例文です。スマートフォンで折り返される程度の長さにしています。**太字**や*斜体*の言葉、[リンク](https://example.com/)も入っています。

    - リストの項目
    - もうひとつの項目

# ステップメール（sequences.html、sequence.html）。
sequence-list-title = ステップメール
sequence-list-hint-before = ステップメールは、リストの購読者に各ステップを、開始のきっかけから指定した日数後に送ります。きっかけはリストへの登録、または購読者の属性にある日付です（試用期間の終了日のようにその日付そのもの、または誕生日のように毎年の記念日。日付は
sequence-list-hint-after = の形式で読み取ります）。リストから解除されるか、終了セグメントに該当すると、その購読者へのステップメールは終了します。
sequence-list-empty = ステップメールはまだありません。
sequence-col-list-start = リスト · 開始条件
sequence-on-attribute = { $attribute } の日付
sequence-on-attribute-yearly = 毎年の { $attribute }
sequence-state-draft = 下書き
sequence-state-active = 有効
sequence-state-paused = 一時停止中
sequence-new = 新しいステップメール
sequence-for-list = 対象リスト
sequence-starts = 開始条件
sequence-starts-join = 購読者がリストに登録したとき
sequence-starts-date = 日付属性の日
sequence-date-attribute-placeholder = birthday
sequence-date-attribute = 日付属性
sequence-yearly = 毎年、その記念日に
sequence-exit = 途中で終了する購読者のセグメント
sequence-no-exit = （終了セグメントなし）
sequence-create = ステップメールを作成
sequence-name-needed = ステップメールの名前は1～200文字で入力してください。
sequence-attribute-needed = 日付で開始するステップメールには、日付属性の名前（1～100文字、例: birthday）が必要です。
sequence-title = ステップメール「{ $name }」
sequence-starts-on-before = 各購読者の
sequence-starts-on-middle = の日付に開始します。対象リスト:
sequence-starts-on-yearly = （毎年、記念日ごと）
sequence-dates-from = （{ $time } 以降の日付）
sequence-starts-on-after = 。日付はUTCの日単位で扱い、1週間以上遅れたステップは送信されません。
sequence-starts-join-before = 購読者が次のリストに登録したときに開始します:
sequence-joins-from = （{ $time } 以降の登録）
sequence-starts-join-after = 。
sequence-col-step = ステップ
sequence-col-sent = 配信数
sequence-day = { $days }日後
sequence-hours-minutes = { $hours }時間{ $minutes }分
sequence-step-report = レポート
sequence-pause = 一時停止（ステップを編集する場合）
sequence-activate = 有効にする
sequence-add-step-title = ステップを追加
sequence-days-after-date = 日付からの日数
sequence-days-after-joining = 登録からの日数
sequence-add-step = ステップを追加して編集
sequence-subscribers-title = このステップメールの購読者
sequence-not-active-date = まだ有効になっていません。有効にすると、各購読者にそれぞれの日付でステップが送られます。
sequence-not-active-join = まだ有効になっていません。有効にすると、それ以降に{ $list }に登録したすべての購読者にステップが送られます。
sequence-no-step-yet = まだどの購読者にもステップは送られていません。
sequence-nobody-joined = 有効にしてから登録した購読者はまだいません。
sequence-col-subscriber = 購読者
sequence-col-joined = 登録日時
sequence-col-steps-sent = 送信済みステップ
sequence-col-last-step = 最後のステップ
sequence-steps-of = { $sent } / { $total }
sequence-left-list = リストから解除済み: 終了
sequence-step-needs = ステップには名前と有効な差出人アドレスが必要です。
sequence-step-bad-name = 名前に使えない文字が含まれています（{ $reason }）。
sequence-step-bad-from-name = 差出人名に使えない文字が含まれています（{ $reason }）。
sequence-activated-join = 有効にしました。今後リストに登録するすべての購読者に{ $steps }件のステップを送ります。
sequence-activated-date = 有効にしました。本日以降、リストの各購読者の{ $attribute }の日付に{ $steps }件のステップを送ります。
sequence-activated-yearly = 有効にしました。本日以降、毎年、リストの各購読者の{ $attribute }の日付に{ $steps }件のステップを送ります。
sequence-already-active = すでに有効です。
sequence-cannot-activate = 有効にできません: { $error }
sequence-paused = 一時停止しました。ステップは下書きとして編集できます。再び有効にするまで何も送信されません。

# サンドボックスの受信箱（sandbox.html）。
sandbox-title = サンドボックスの受信箱
sandbox-hint = サンドボックスモードでは、メールはこのマシンの外に送られません。ninshoが送信するはずのメールはすべてここに保存されます。
sandbox-empty = メールはまだありません。ダブルオプトインのリストに登録があると、その登録確認メールがここに届きます。
sandbox-to = 宛先:
sandbox-raw = 送信されたとおりのメールを表示（ヘッダーとMIME）
sandbox-dkim-unsigned = DKIM: 署名なし（差出人のドメインに鍵がありません。「送信ドメイン」で追加してください）
sandbox-dkim-verdict = { $domain }（{ $selector }）: { $result }
sandbox-dkim = DKIM: { $verdicts }

# 保存されたメールの種類（outbound_messages.kind）。
sandbox-kind-campaign = キャンペーン
sandbox-kind-test = テスト配信
sandbox-kind-alert = アラート
sandbox-kind-confirmation = 登録確認
sandbox-kind-address-confirmation = アドレス変更の確認
sandbox-kind-address-changed = アドレス変更のお知らせ

# 保存されたメールの状態（outbound_messages.status）。
sandbox-status-queued = 送信待ち
sandbox-status-sending = 送信中
sandbox-status-deferred = 再送待ち
sandbox-status-sent = 送信済み
sandbox-status-failed = 失敗
sandbox-status-captured = 保存済み

# キャンペーンの文字コード（古い携帯電話やメールシステム向けの ISO-2022-JP）。
campaign-charset = 文字コード
campaign-charset-utf8 = UTF-8（すべての文字）
campaign-charset-jis = ISO-2022-JP（JIS、古い携帯電話・メールシステム向け）
campaign-charset-unknown = 文字コード { $value } は使えません。utf-8 か iso-2022-jp を選んでください。
campaign-charset-fault = { $part } { $line }行目 { $column }文字目：「{ $character }」は ISO-2022-JP で送れません（{ $kind }）。別の文字に置き換えるか、UTF-8 で配信してください。
campaign-charset-more = ほかに ISO-2022-JP で送れない文字が{ $n }文字あります。
campaign-katakana-widened = ISO-2022-JP のため半角カナを全角に変換しました：{ $pairs }。
charset-vendor-specific = ①や㈱などの機種依存文字です。(1) や (株) と書いてください
charset-emoji = 絵文字です
charset-outside-jis = JIS X 0208 にない文字です。一般的な字体に置き換えてください
campaign-part-from-name = 差出人名
campaign-part-subject = 件名
campaign-part-ab-subjects = 別の件名
campaign-part-preheader = プレヘッダー
campaign-part-body = 本文
campaign-part-text-body = テキスト版

# 新しいキャンペーンの最初の本文（差し込み：名前、なければ既定の呼び方）。
campaign-blank-greeting = { $name }様
campaign-blank-default-name = お客
campaign-blank-body = ここに本文を書いてください。
