// A Haraka plugin for the bounce lab (tests/tests/foreign_bounces.rs):
// every client may relay, every recipient is taken, and every domain's MX
// is the lab's sink (LAB_MX_HOST, LAB_MX_PORT), so that Haraka delivers the
// test messages there and sends its bounces there too.
const constants = require('haraka-constants')

exports.hook_connect = function (next, connection) {
    connection.relaying = true
    next()
}

exports.hook_rcpt = function (next) {
    next(constants.ok)
}

exports.hook_get_mx = function (next, hmail, domain) {
    next(constants.ok, {
        exchange: process.env.LAB_MX_HOST,
        port: Number(process.env.LAB_MX_PORT),
        priority: 10,
    })
}
