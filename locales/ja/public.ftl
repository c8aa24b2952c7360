# 購読者が見るページ（登録、登録確認、配信設定の変更、配信停止）と登録時のメール。
# リストの言語で表示します。

public-site = 配信設定
public-email = メールアドレス
public-name = お名前
public-optional = （任意）
public-subscribe = 登録する
public-subscribe-to = { $list }に登録
public-website = ウェブサイト

public-too-many-title = 登録が集中しています
public-too-many = お使いのネットワークから短時間に多くの登録がありました。数分後にもう一度お試しください。
public-almost-done-title = 仮登録が完了しました
public-almost-done = { $list }の登録確認メールをお送りしました。メールに記載のリンクを開いて登録を完了してください。
public-thanks-title = ご登録ありがとうございます
public-thanks = { $list }にご登録いただきありがとうございます。以前に配信停止されたアドレスの場合は、お送りした確認メールのリンクから登録を完了してください。
public-bad-name = お名前に改行や制御文字が含まれています。取り除いてからもう一度送信してください。
public-bad-field = { $field }に制御文字が含まれています。取り除いてからもう一度送信してください。
public-bad-email = メールアドレスの形式が正しくありません（{ $reason }）。
public-fill-in = { $field }を入力してください。

public-invalid-link-title = このリンクは無効です
public-invalid-link = リンクが途中で切れている可能性があります。メールからもう一度開いてください。
public-confirm-title = 登録の確認
public-confirm-question = { $list }に登録しますか？
public-confirm-button = 登録する
public-expired-title = リンクの有効期限が切れています
public-expired = 登録確認リンクの有効期限は7日間です。お手数ですが、もう一度ご登録ください。
public-sign-up-again = もう一度登録する
public-cannot-confirm-title = 登録を完了できません
public-cannot-confirm = このアドレス、またはこのメールマガジンには現在配信していません。
public-confirmed-title = 登録が完了しました
public-confirmed = { $list }への登録が完了しました。ありがとうございます。
public-manage = 配信設定を変更する
public-manage-all = すべての配信設定を変更する

public-unsubscribe-title = 配信停止
public-subscribe-question = { $email } への{ $list }の配信を停止しますか？
public-unsubscribe-button = 配信を停止する
public-already-title = すでに配信停止済みです
public-already = { $email } には{ $list }をお送りしていません。これ以上の操作は必要ありません。
public-unsubscribed-title = 配信を停止しました
public-unsubscribed = 今後、このメールマガジンはお送りしません。

public-profile-title = 配信設定の変更
public-newsletters = メールマガジン
public-save = 保存する
public-everything = すべての配信を停止する
public-saved = 変更を保存しました。
public-left-all = すべてのメールマガジンの配信を停止しました。
public-profile-bad-name = お名前に改行や制御文字が含まれています。取り除いてからもう一度保存してください。

mail-confirm-subject = 【登録確認】{ $list }
mail-confirm-body =
    { $list }への登録のお申し込みを受け付けました。

    ご本人によるお申し込みであれば、{ $days }日以内に次のリンクを開いて登録を完了してください。

    { $link }

    お心当たりのない場合は、このメールを破棄してください。登録は行われません。

    （登録アドレス: { $email }）

public-address = メールアドレスの変更
public-address-new = 新しいメールアドレス
public-address-button = 新しいアドレスに確認メールを送る
public-address-hint = 新しいアドレスにお送りするリンクを開いた時点で変更されます。
public-address-sent = { $email } に確認メールをお送りしました。メールのリンクを開くと、配信先が変更されます。
public-address-bad = 新しいメールアドレスの形式が正しくありません（{ $reason }）。
public-address-same = 現在と同じメールアドレスです。
public-address-confirm-title = メールアドレスの変更
public-address-confirm = 配信先を { $old } から { $new } に変更しますか？
public-address-confirm-button = 変更する
public-address-done-title = メールアドレスを変更しました
public-address-done = 今後は { $new } にお送りします。
public-address-used-title = このリンクは使用済みです
public-address-used = すでに変更が完了しているか、このお申し込みは無効になっています。
public-address-taken-title = このアドレスはすでに登録されています
public-address-taken = { $new } はすでに登録済みのため、メールアドレスは変更されていません。

mail-address-subject = 【メールアドレス変更の確認】
mail-address-body =
    配信先メールアドレスの変更のお申し込みを受け付けました。

    変更前: { $old }
    変更後: { $new }

    ご本人によるお申し込みであれば、{ $days }日以内に次のリンクを開いて変更を完了してください。

    { $link }

    お心当たりのない場合は、このメールを破棄してください。変更は行われません。
mail-address-changed-subject = 【メールアドレス変更のお知らせ】
mail-address-changed-body =
    配信設定の変更ページからのお申し込みにより、配信先メールアドレスを変更しました。

    変更前: { $old }
    変更後: { $new }

    お心当たりのない場合は、このメールにご返信ください。

public-reason-legend = 配信停止の理由（任意）
public-reason-too_many = メールの数が多い
public-reason-not_relevant = 内容が自分に合わない
public-reason-never_signed_up = 登録した覚えがない
public-reason-other = その他
public-reason-detail = ご意見・ご感想
