#!/usr/bin/env python3
# ruff: noqa: RUF001  (Vietnamese typography: en dashes in place names and school years)
"""Generate the bundled sample (kiemchung/data/sample/) deterministically.

Everything here is invented: the province of Lam Giang, its districts, officials, outlets and events
do not exist. Stories are written as fact slots with several paraphrases each; every outlet picks
its own wording with a seeded RNG, so the same event is reported in different words. False claims
spread in social posts (some without diacritics, with teencode or in capitals); official statements
answer them and fact-checks cite those statements. ``gold.json`` records which item belongs to which
story and claim, for tests and evaluation only.

Run: ``python scripts/make_sample.py`` (rewrites the directory; output is identical on every run).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import shutil
import sys
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlparse
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kiemchung.text import fold  # noqa: E402  (the text core decides what "without diacritics" is)

OUT = ROOT / "kiemchung" / "data" / "sample"
TZ = dt.timezone(dt.timedelta(hours=7))
START = dt.date(2026, 8, 28)
END = dt.date(2026, 11, 20)
SEED = 20261120

OUTLETS = [
    {"key": "blg", "name": "Báo Lam Giang", "site": "https://baolamgiang.example", "format": "rss"},
    {"key": "lgtv", "name": "Đài Phát thanh và Truyền hình Lam Giang", "site": "https://lgtv.example", "format": "rss"},
    {"key": "gk24", "name": "Giang Khẩu 24h", "site": "https://giangkhau24h.example", "format": "rss"},
    {"key": "ntlg", "name": "Báo Nông thôn Lam Giang", "site": "https://nongthonlamgiang.example", "format": "atom"},
]
OFFICIAL_SITE = "https://lamgiang.gov.example"

# --- Stories: each phase has title paraphrases and fact slots, each slot with paraphrases. ---------
STORIES: list[dict] = [
    {"key": "lu-bich-son", "name": "Lũ lớn trên sông Lam ở huyện Bích Sơn", "section": "Thời sự", "phases": [
        {"day": "2026-10-13", "titles": [
            "Lũ sông Lam dâng cao, hàng trăm hộ ở Bích Sơn phải sơ tán",
            "Bích Sơn khẩn trương di dời dân khỏi vùng ngập do lũ sông Lam",
            "Nước sông Lam lên nhanh, huyện Bích Sơn sơ tán người dân",
            "Mưa lớn kéo dài, nhiều xã của Bích Sơn chìm trong nước lũ"],
         "slots": [
            ["Mưa lớn kéo dài từ đêm 12/10 khiến mực nước sông Lam đoạn qua huyện Bích Sơn vượt báo động 3.",
             "Sau hai ngày mưa to liên tục, nước sông Lam qua địa phận huyện Bích Sơn đã lên trên mức báo động 3.",
             "Từ tối 12/10, mưa như trút nước làm sông Lam ở huyện Bích Sơn dâng cao, vượt báo động 3."],
            ["Chính quyền huyện đã di dời 640 hộ dân ở các xã Tân Khê, Phú Lâm và Hà Thượng đến nơi an toàn.",
             "640 hộ ở ba xã Tân Khê, Phú Lâm, Hà Thượng đã được đưa tới nơi ở tạm an toàn.",
             "Lực lượng chức năng giúp 640 hộ dân thuộc xã Tân Khê, Phú Lâm và Hà Thượng sơ tán khỏi vùng trũng."],
            ["Nhiều tuyến đường liên xã bị ngập sâu từ 0,5 đến 1 mét, giao thông bị chia cắt.",
             "Một số đoạn đường liên xã ngập tới 1 mét, xe cộ không thể lưu thông.",
             "Đường liên xã ở nhiều nơi ngập sâu, việc đi lại gần như tê liệt."],
            ["Ông Lê Văn Thạch, Chủ tịch UBND huyện Bích Sơn, cho biết huyện đã chuẩn bị đủ lương thực cho các điểm sơ tán.",
             "Theo ông Lê Văn Thạch, Chủ tịch UBND huyện, các điểm sơ tán đã có đủ gạo, nước uống và thuốc men.",
             "Chủ tịch UBND huyện Bích Sơn Lê Văn Thạch khẳng định lương thực, nước sạch ở nơi sơ tán được bảo đảm."]]},
        {"day": "2026-10-15", "titles": [
            "Lũ sông Lam bắt đầu rút, Bích Sơn thống kê thiệt hại",
            "Nước rút dần, người dân Bích Sơn trở về dọn dẹp nhà cửa",
            "Sau lũ, huyện Bích Sơn ước thiệt hại hơn 120 tỷ đồng"],
         "slots": [
            ["Đến sáng 15/10, mực nước sông Lam đã xuống dưới báo động 2.",
             "Sáng 15/10, nước sông Lam rút xuống dưới mức báo động 2.",
             "Mực nước sông Lam sáng 15/10 đã hạ xuống dưới báo động 2."],
            ["Theo thống kê ban đầu, lũ làm ngập 1.250 ngôi nhà và hư hại khoảng 800 ha lúa mùa.",
             "Ước tính ban đầu có 1.250 căn nhà bị ngập, khoảng 800 ha lúa mùa bị hư hại.",
             "Khoảng 800 ha lúa và 1.250 nhà dân bị ảnh hưởng, theo số liệu sơ bộ của huyện."],
            ["Tổng thiệt hại được ước tính hơn 120 tỷ đồng; không có thiệt hại về người.",
             "Huyện ước thiệt hại trên 120 tỷ đồng, may mắn không có ai thiệt mạng.",
             "Thiệt hại vật chất vượt 120 tỷ đồng nhưng không có thương vong."],
            ["Ngành y tế đã phun khử trùng tại các khu vực nước rút để phòng dịch bệnh.",
             "Các trạm y tế xã tổ chức phun thuốc khử khuẩn ở những nơi nước vừa rút.",
             "Việc vệ sinh môi trường, khử trùng sau lũ được triển khai ngay khi nước rút."]]},
        {"day": "2026-10-18", "titles": [
            "Tỉnh Lam Giang hỗ trợ 6 tỷ đồng cho người dân vùng lũ Bích Sơn",
            "UBND tỉnh trích ngân sách hỗ trợ các hộ bị thiệt hại do lũ",
            "Người dân vùng lũ Bích Sơn nhận hỗ trợ từ ngân sách tỉnh"],
         "slots": [
            ["UBND tỉnh Lam Giang quyết định trích 6 tỷ đồng từ ngân sách dự phòng để hỗ trợ người dân huyện Bích Sơn.",
             "Tỉnh Lam Giang dành 6 tỷ đồng ngân sách dự phòng hỗ trợ các hộ dân Bích Sơn bị thiệt hại.",
             "Ngân sách dự phòng của tỉnh chi 6 tỷ đồng giúp người dân Bích Sơn khắc phục hậu quả lũ."],
            ["Tiền hỗ trợ được chi trực tiếp tại UBND các xã, không thu bất kỳ khoản phí nào.",
             "Các hộ nhận tiền trực tiếp tại trụ sở UBND xã, không phải đăng ký qua mạng.",
             "Việc chi trả làm tại UBND xã, người dân không phải nộp phí hay khai báo trực tuyến."],
            ["Mỗi hộ có nhà bị ngập được hỗ trợ 3 triệu đồng, hộ có nhà bị hư hỏng nặng được 10 triệu đồng.",
             "Mức hỗ trợ là 3 triệu đồng cho hộ bị ngập và 10 triệu đồng cho hộ có nhà hư hỏng nặng.",
             "Hộ bị ngập nhận 3 triệu đồng; hộ có nhà hư hại nặng nhận 10 triệu đồng."]]}]},
    {"key": "cau-giang-khau-2", "name": "Khánh thành cầu Giang Khẩu 2", "section": "Giao thông", "phases": [
        {"day": "2026-09-30", "titles": [
            "Khánh thành cầu Giang Khẩu 2 nối hai bờ sông Lam",
            "Cầu Giang Khẩu 2 chính thức thông xe sau hơn hai năm thi công",
            "Thông xe cầu Giang Khẩu 2, rút ngắn đường về huyện Đông Lâm",
            "Người dân Giang Khẩu vui mừng đón cây cầu mới qua sông Lam"],
         "slots": [
            ["Sáng 30/9, UBND tỉnh Lam Giang tổ chức lễ khánh thành cầu Giang Khẩu 2 bắc qua sông Lam.",
             "Cầu Giang Khẩu 2 được khánh thành và thông xe vào sáng 30/9.",
             "Ngày 30/9, tỉnh Lam Giang chính thức đưa cầu Giang Khẩu 2 vào sử dụng."],
            ["Cầu dài 1,2 km, rộng 4 làn xe, tổng vốn đầu tư khoảng 980 tỷ đồng.",
             "Công trình có chiều dài 1,2 km với 4 làn xe, vốn đầu tư gần 980 tỷ đồng.",
             "Với tổng mức đầu tư khoảng 980 tỷ đồng, cây cầu dài 1,2 km và có 4 làn xe."],
            ["Cây cầu giúp rút ngắn quãng đường từ thành phố Giang Khẩu về huyện Đông Lâm khoảng 15 km.",
             "Nhờ cầu mới, đường từ trung tâm thành phố sang huyện Đông Lâm ngắn đi khoảng 15 km.",
             "Người dân đi từ Giang Khẩu về Đông Lâm giờ tiết kiệm được chừng 15 km đường."],
            ["Phát biểu tại buổi lễ, Chủ tịch UBND tỉnh Nguyễn Hữu Tâm đề nghị đơn vị quản lý bảo trì cầu thường xuyên.",
             "Chủ tịch UBND tỉnh Nguyễn Hữu Tâm yêu cầu làm tốt công tác bảo trì, giữ an toàn cho công trình.",
             "Ông Nguyễn Hữu Tâm, Chủ tịch UBND tỉnh, nhấn mạnh việc duy tu, bảo dưỡng cầu định kỳ."]]},
        {"day": "2026-10-26", "titles": [
            "Sở Giao thông vận tải: cầu Giang Khẩu 2 vẫn an toàn",
            "Kiểm tra cầu Giang Khẩu 2 sau thông tin thất thiệt về sự cố",
            "Cơ quan chức năng khẳng định cầu Giang Khẩu 2 không có sự cố"],
         "slots": [
            ["Ngày 26/10, Sở Giao thông vận tải Lam Giang đã kiểm tra toàn bộ kết cấu cầu Giang Khẩu 2.",
             "Sở Giao thông vận tải tỉnh cho đoàn kỹ thuật kiểm tra cầu Giang Khẩu 2 trong ngày 26/10.",
             "Đoàn kiểm tra của Sở Giao thông vận tải có mặt tại cầu Giang Khẩu 2 ngày 26/10."],
            ["Kết quả cho thấy cầu không có vết nứt kết cấu; các khe hở trên mặt cầu là khe co giãn theo thiết kế.",
             "Đoàn kết luận cầu không bị nứt; những đường khe người dân chụp lại là khe co giãn được thiết kế sẵn.",
             "Theo kết quả kiểm tra, các khe trên mặt cầu là khe co giãn bình thường, không phải vết nứt."],
            ["Cầu vẫn lưu thông bình thường, không có chuyện sập hay phải cấm xe.",
             "Giao thông qua cầu diễn ra bình thường, không hề có sự cố sập cầu.",
             "Xe cộ vẫn qua lại bình thường; thông tin cầu bị sập là bịa đặt."]]}]},
    {"key": "hoc-phi", "name": "Mức học phí năm học 2026–2027", "section": "Giáo dục", "phases": [
        {"day": "2026-09-04", "titles": [
            "HĐND tỉnh Lam Giang thông qua mức học phí năm học 2026–2027",
            "Lam Giang giữ nguyên học phí mầm non, miễn học phí THCS",
            "Học sinh THCS ở Lam Giang được miễn học phí từ năm học mới"],
         "slots": [
            ["Tại kỳ họp chuyên đề ngày 4/9, HĐND tỉnh Lam Giang đã thông qua nghị quyết về học phí năm học 2026–2027.",
             "Ngày 4/9, HĐND tỉnh Lam Giang biểu quyết thông qua mức học phí cho năm học 2026–2027.",
             "Nghị quyết về học phí năm học 2026–2027 được HĐND tỉnh Lam Giang thông qua hôm 4/9."],
            ["Theo đó, học sinh trung học cơ sở công lập được miễn toàn bộ học phí.",
             "Học sinh các trường THCS công lập sẽ không phải đóng học phí.",
             "Toàn bộ học sinh THCS công lập trong tỉnh được miễn học phí."],
            ["Học phí mầm non được giữ nguyên ở mức 150.000 đồng mỗi tháng tại thành phố và 80.000 đồng ở nông thôn.",
             "Mức thu với bậc mầm non không đổi: 150.000 đồng/tháng ở thành phố, 80.000 đồng/tháng ở vùng nông thôn.",
             "Bậc mầm non vẫn thu 150.000 đồng một tháng ở khu vực thành thị và 80.000 đồng ở nông thôn."],
            ["Bà Phạm Thị Hạnh, Giám đốc Sở Giáo dục và Đào tạo, cho biết ngân sách tỉnh sẽ bù khoảng 85 tỷ đồng.",
             "Theo Giám đốc Sở Giáo dục và Đào tạo Phạm Thị Hạnh, tỉnh chi khoảng 85 tỷ đồng để bù phần học phí được miễn.",
             "Khoảng 85 tỷ đồng từ ngân sách tỉnh sẽ bù cho các trường, bà Phạm Thị Hạnh cho biết."]]}]},
    {"key": "sot-xuat-huyet", "name": "Sốt xuất huyết tăng ở thành phố Giang Khẩu", "section": "Sức khỏe", "phases": [
        {"day": "2026-09-12", "titles": [
            "Số ca sốt xuất huyết ở Giang Khẩu tăng gấp đôi",
            "Giang Khẩu ghi nhận hơn 300 ca sốt xuất huyết từ đầu năm",
            "Sốt xuất huyết gia tăng, ngành y tế Lam Giang khuyến cáo người dân"],
         "slots": [
            ["Từ đầu năm đến nay, thành phố Giang Khẩu ghi nhận 312 ca sốt xuất huyết, gấp đôi cùng kỳ năm trước.",
             "Thành phố Giang Khẩu đã có 312 ca mắc sốt xuất huyết kể từ đầu năm, tăng gấp đôi so với cùng kỳ.",
             "Số ca sốt xuất huyết tại Giang Khẩu lên tới 312 ca, cao gấp hai lần cùng kỳ năm ngoái."],
            ["Các ca bệnh tập trung ở phường Vĩnh Tân và phường Bến Đò.",
             "Phường Vĩnh Tân và phường Bến Đò là hai nơi có nhiều ca bệnh nhất.",
             "Hầu hết ca mắc ở hai phường Vĩnh Tân, Bến Đò."],
            ["Sở Y tế khuyến cáo người dân diệt lăng quăng, ngủ màn và đến cơ sở y tế khi sốt cao.",
             "Ngành y tế đề nghị người dân loại bỏ nơi muỗi đẻ, ngủ màn và đi khám sớm khi sốt cao.",
             "Người dân được khuyên dọn vật chứa nước đọng, ngủ màn, đi khám ngay khi có dấu hiệu sốt cao."]]},
        {"day": "2026-09-29", "titles": [
            "Giang Khẩu ra quân diệt lăng quăng, phòng sốt xuất huyết",
            "Sở Y tế: không phong tỏa phường Vĩnh Tân vì sốt xuất huyết",
            "Chiến dịch diệt lăng quăng tại phường Vĩnh Tân và Bến Đò"],
         "slots": [
            ["Ngày 29/9, Trung tâm Kiểm soát bệnh tật tỉnh phối hợp với phường Vĩnh Tân tổ chức chiến dịch diệt lăng quăng.",
             "Phường Vĩnh Tân cùng Trung tâm Kiểm soát bệnh tật tỉnh ra quân diệt lăng quăng ngày 29/9.",
             "Chiến dịch diệt lăng quăng được triển khai tại phường Vĩnh Tân hôm 29/9."],
            ["Sở Y tế khẳng định không có chủ trương phong tỏa hay cách ly phường nào vì sốt xuất huyết.",
             "Ngành y tế cho biết không phong tỏa, không cách ly khu dân cư nào do dịch sốt xuất huyết.",
             "Sở Y tế nhấn mạnh sốt xuất huyết không lây qua tiếp xúc nên không cần phong tỏa khu dân cư."],
            ["Đến nay chưa ghi nhận trường hợp tử vong do sốt xuất huyết trên địa bàn tỉnh.",
             "Tỉnh chưa có ca tử vong nào do sốt xuất huyết.",
             "Không có bệnh nhân sốt xuất huyết nào tử vong trong năm nay."]]}]},
    {"key": "dau-gia-dat", "name": "Đấu giá đất khu đô thị Phú Dương", "section": "Kinh tế", "phases": [
        {"day": "2026-10-22", "titles": [
            "Đấu giá 48 lô đất ở khu đô thị Phú Dương, giá cao nhất 32 triệu đồng/m²",
            "Đất Phú Dương đấu giá thành công, thu hơn 210 tỷ đồng",
            "Phiên đấu giá đất Phú Dương thu hút hơn 900 hồ sơ"],
         "slots": [
            ["Ngày 22/10, thị xã Phú Dương tổ chức đấu giá 48 lô đất tại khu đô thị mới Phú Dương.",
             "48 lô đất ở khu đô thị mới Phú Dương được đưa ra đấu giá vào ngày 22/10.",
             "Thị xã Phú Dương đấu giá quyền sử dụng 48 lô đất trong khu đô thị mới hôm 22/10."],
            ["Phiên đấu giá thu hút 915 hồ sơ; giá trúng cao nhất là 32 triệu đồng mỗi mét vuông.",
             "Có 915 hồ sơ tham gia, lô đắt nhất trúng giá 32 triệu đồng/m².",
             "Với 915 hồ sơ đăng ký, mức giá trúng cao nhất đạt 32 triệu đồng một mét vuông."],
            ["Tổng số tiền thu được hơn 210 tỷ đồng, gấp 2,4 lần giá khởi điểm.",
             "Ngân sách thu về trên 210 tỷ đồng, cao gấp 2,4 lần giá khởi điểm.",
             "Số tiền trúng đấu giá vượt 210 tỷ đồng, bằng khoảng 2,4 lần giá khởi điểm."],
            ["UBND thị xã cho biết người trúng đấu giá phải nộp đủ tiền trong 90 ngày, nếu không sẽ bị hủy kết quả.",
             "Người trúng phải nộp tiền trong 90 ngày; quá hạn, kết quả đấu giá sẽ bị hủy.",
             "Thời hạn nộp tiền là 90 ngày, quá hạn thì kết quả trúng đấu giá không còn hiệu lực."]]}]},
    {"key": "tai-nan-deo-ngoc-tra", "name": "Tai nạn xe khách trên đèo Ngọc Trà", "section": "Thời sự", "phases": [
        {"day": "2026-11-08", "titles": [
            "Xe khách lật trên đèo Ngọc Trà, 14 người bị thương",
            "Tai nạn trên đèo Ngọc Trà: xe khách mất lái, nhiều hành khách nhập viện",
            "Lật xe khách ở đèo Ngọc Trà, 3 người bị thương nặng"],
         "slots": [
            ["Khoảng 5 giờ sáng 8/11, một xe khách 45 chỗ chạy tuyến Giang Khẩu – Ngọc Trà bị lật khi xuống đèo.",
             "Rạng sáng 8/11, chiếc xe khách 45 chỗ đi từ Giang Khẩu lên Ngọc Trà lật nghiêng khi đang đổ đèo.",
             "Sáng sớm 8/11, xe khách 45 chỗ tuyến Giang Khẩu – Ngọc Trà gặp nạn, lật trên đoạn đổ dốc của đèo."],
            ["Vụ tai nạn làm 14 hành khách bị thương, trong đó 3 người bị thương nặng.",
             "14 người trên xe bị thương, 3 người trong số đó bị thương nặng.",
             "Có 14 hành khách bị thương, 3 trường hợp nặng."],
            ["Các nạn nhân được đưa đến Bệnh viện Đa khoa tỉnh Lam Giang cấp cứu.",
             "Người bị thương được chuyển tới Bệnh viện Đa khoa tỉnh để điều trị.",
             "Bệnh viện Đa khoa tỉnh Lam Giang đã tiếp nhận và cấp cứu các nạn nhân."],
            ["Công an tỉnh đang điều tra nguyên nhân; ban đầu xác định xe có thể bị mất phanh.",
             "Nguyên nhân vụ việc đang được công an làm rõ, nghi xe bị mất phanh.",
             "Theo nhận định ban đầu của công an, xe có dấu hiệu mất phanh."]]}]},
    {"key": "le-hoi-sen", "name": "Lễ hội Hoa sen Đông Lâm", "section": "Văn hóa", "phases": [
        {"day": "2026-09-19", "titles": [
            "Khai mạc Lễ hội Hoa sen Đông Lâm năm 2026",
            "Lễ hội Hoa sen Đông Lâm thu hút hàng nghìn du khách",
            "Rực rỡ sắc sen tại lễ hội ở huyện Đông Lâm"],
         "slots": [
            ["Tối 19/9, huyện Đông Lâm khai mạc Lễ hội Hoa sen lần thứ năm tại đầm Thủy Liên.",
             "Lễ hội Hoa sen Đông Lâm lần thứ năm đã khai mạc tối 19/9 bên đầm Thủy Liên.",
             "Đầm Thủy Liên là nơi diễn ra lễ khai mạc Lễ hội Hoa sen lần thứ năm của huyện Đông Lâm tối 19/9."],
            ["Lễ hội kéo dài ba ngày với chợ quê, thi làm trà sen và đua thuyền trên đầm.",
             "Trong ba ngày, du khách được tham gia chợ quê, thi ướp trà sen và xem đua thuyền.",
             "Chương trình ba ngày gồm đua thuyền, chợ quê và hội thi làm trà sen."],
            ["Ban tổ chức dự kiến đón khoảng 20.000 lượt khách.",
             "Huyện Đông Lâm kỳ vọng đón chừng 20.000 lượt du khách.",
             "Khoảng 20.000 lượt khách được dự báo sẽ về dự lễ hội."]]}]},
    {"key": "lua-dao-gia-danh", "name": "Lừa đảo giả danh cơ quan nhà nước", "section": "Pháp luật", "phases": [
        {"day": "2026-10-21", "titles": [
            "Cảnh giác tin nhắn giả mạo 'hỗ trợ lũ lụt 5 triệu đồng'",
            "Công an Lam Giang cảnh báo đường link lừa đảo nhận tiền hỗ trợ lũ",
            "Nhiều người mất tiền vì bấm vào link 'nhận hỗ trợ lũ'"],
         "slots": [
            ["Công an tỉnh Lam Giang cho biết đã nhận 27 tin báo về tin nhắn mạo danh UBND tỉnh để lừa đảo.",
             "27 người đã trình báo với Công an tỉnh về các tin nhắn giả danh UBND tỉnh.",
             "Công an tỉnh tiếp nhận 27 tin báo liên quan tin nhắn mạo danh chính quyền tỉnh."],
            ["Các tin nhắn mời người dân bấm vào đường link để nhận 5 triệu đồng hỗ trợ lũ lụt, rồi yêu cầu nhập mật khẩu ngân hàng.",
             "Kẻ gian gửi đường link hứa hỗ trợ 5 triệu đồng cho hộ vùng lũ, sau đó đòi thông tin tài khoản ngân hàng.",
             "Đường link trong tin nhắn giả hứa hẹn khoản hỗ trợ 5 triệu đồng, thực chất để lấy cắp tài khoản ngân hàng."],
            ["Tổng số tiền người dân bị chiếm đoạt khoảng 640 triệu đồng.",
             "Khoảng 640 triệu đồng đã bị các đối tượng chiếm đoạt.",
             "Thiệt hại của những người bị lừa ước khoảng 640 triệu đồng."],
            ["Công an khuyến cáo: chính quyền không bao giờ chi hỗ trợ qua đường link hay yêu cầu cung cấp mật khẩu.",
             "Người dân cần nhớ cơ quan nhà nước không chi tiền hỗ trợ qua mạng và không hỏi mật khẩu ngân hàng.",
             "Cơ quan chức năng nhắc lại: tiền hỗ trợ chỉ chi tại UBND xã, không qua đường link."]]},
        {"day": "2026-11-14", "titles": [
            "Bắt nhóm đối tượng giả danh công an lừa đảo qua điện thoại",
            "Triệt phá đường dây lừa đảo mạo danh cơ quan nhà nước ở Lam Giang",
            "Công an Lam Giang bắt 4 đối tượng lừa đảo chiếm đoạt gần 1 tỷ đồng"],
         "slots": [
            ["Công an tỉnh Lam Giang vừa bắt 4 đối tượng trong đường dây giả danh cơ quan nhà nước để lừa đảo.",
             "4 đối tượng thuộc một đường dây lừa đảo mạo danh cơ quan nhà nước đã bị Công an tỉnh bắt giữ.",
             "Đường dây lừa đảo giả danh cơ quan nhà nước bị Công an Lam Giang triệt phá, 4 người bị bắt."],
            ["Nhóm này bị cáo buộc chiếm đoạt gần 1 tỷ đồng của hơn 40 người.",
             "Các đối tượng khai đã lừa hơn 40 người, chiếm đoạt gần 1 tỷ đồng.",
             "Hơn 40 nạn nhân bị nhóm này lừa mất tổng cộng gần 1 tỷ đồng."],
            ["Vụ án đang được mở rộng điều tra.",
             "Cơ quan điều tra đang tiếp tục làm rõ các đồng phạm khác.",
             "Công an đang điều tra mở rộng vụ án."]]}]},
    {"key": "nuoc-may-giang-khau", "name": "Nước máy đổi màu ở Giang Khẩu sau sửa ống", "section": "Đô thị", "phases": [
        {"day": "2026-11-11", "titles": [
            "Tạm ngừng cấp nước một số phường Giang Khẩu để sửa đường ống",
            "Giang Khẩu: cắt nước 12 giờ để thay tuyến ống chính",
            "Nhiều phường ở Giang Khẩu mất nước do sửa chữa đường ống"],
         "slots": [
            ["Công ty Cổ phần Cấp nước Lam Giang thông báo tạm ngừng cấp nước từ 22 giờ ngày 11/11 đến 10 giờ ngày 12/11.",
             "Từ 22 giờ 11/11 đến 10 giờ 12/11, Công ty Cổ phần Cấp nước Lam Giang ngừng cấp nước để sửa ống.",
             "Việc cấp nước bị tạm dừng từ tối 11/11 đến trưa 12/11 theo thông báo của Công ty Cổ phần Cấp nước Lam Giang."],
            ["Các phường Vĩnh Tân, Bến Đò và Hòa Phong chịu ảnh hưởng.",
             "Khu vực mất nước gồm phường Vĩnh Tân, phường Bến Đò và phường Hòa Phong.",
             "Người dân ba phường Vĩnh Tân, Bến Đò, Hòa Phong sẽ bị gián đoạn nước sinh hoạt."],
            ["Công ty khuyến cáo sau khi cấp nước trở lại, nước có thể hơi đục trong vài giờ đầu do súc xả đường ống.",
             "Khi có nước lại, nước có thể đục nhẹ vài giờ vì đường ống được súc xả, công ty cho biết.",
             "Nước có thể đục trong vài giờ đầu sau khi cấp lại, do quá trình súc rửa đường ống."]]},
        {"day": "2026-11-13", "titles": [
            "Sở Y tế: nước máy Giang Khẩu đạt chuẩn, không nhiễm độc",
            "Kết quả xét nghiệm cho thấy nước máy ở Giang Khẩu an toàn",
            "Bác bỏ tin đồn nước máy Giang Khẩu bị nhiễm độc"],
         "slots": [
            ["Trung tâm Kiểm soát bệnh tật tỉnh đã lấy 18 mẫu nước máy tại các phường Vĩnh Tân, Bến Đò và Hòa Phong.",
             "18 mẫu nước được Trung tâm Kiểm soát bệnh tật tỉnh lấy tại ba phường bị ảnh hưởng.",
             "Ngành y tế lấy 18 mẫu nước máy ở Vĩnh Tân, Bến Đò, Hòa Phong để xét nghiệm."],
            ["Tất cả mẫu đều đạt quy chuẩn nước sạch, không phát hiện chất độc hay vi khuẩn gây bệnh.",
             "Kết quả cả 18 mẫu đạt chuẩn, không có chất độc hại, không có vi sinh vật gây bệnh.",
             "Toàn bộ mẫu nước đạt quy chuẩn, không phát hiện chất độc."],
            ["Hiện tượng nước đục là do cặn trong đường ống sau khi sửa chữa, đã hết sau vài giờ súc xả.",
             "Nước đục chỉ do cặn bám trong ống sau sửa chữa và đã trong trở lại sau khi súc xả.",
             "Nguyên nhân nước đổi màu là cặn ống sau sửa chữa, không liên quan đến chất độc."]]}]},
    {"key": "bao-so-8", "name": "Bão số 8 đổ bộ, học sinh ba huyện nghỉ học", "section": "Thời sự", "phases": [
        {"day": "2026-10-12", "titles": [
            "Bão số 8 áp sát, học sinh ba huyện của Lam Giang nghỉ học ngày 13/10",
            "Lam Giang cho học sinh Bích Sơn, Đông Lâm, Ngọc Trà nghỉ học một ngày tránh bão",
            "Ứng phó bão số 8, ba huyện cho học sinh tạm nghỉ học"],
         "slots": [
            ["Sở Giáo dục và Đào tạo Lam Giang cho học sinh ba huyện Bích Sơn, Đông Lâm và Ngọc Trà nghỉ học ngày 13/10.",
             "Học sinh các huyện Bích Sơn, Đông Lâm, Ngọc Trà được nghỉ học trong ngày 13/10 để tránh bão.",
             "Ngày 13/10, học sinh ba huyện Bích Sơn, Đông Lâm và Ngọc Trà tạm nghỉ học theo quyết định của Sở Giáo dục và Đào tạo."],
            ["Các trường ở thành phố Giang Khẩu và thị xã Phú Dương vẫn học bình thường.",
             "Thành phố Giang Khẩu và thị xã Phú Dương không cho học sinh nghỉ.",
             "Học sinh ở Giang Khẩu và Phú Dương vẫn đến trường như thường lệ."],
            ["Việc học sẽ được sắp xếp lại tùy diễn biến của mưa lũ.",
             "Lịch học sau đó sẽ do từng huyện quyết định theo tình hình thời tiết.",
             "Sở sẽ thông báo tiếp nếu mưa lũ kéo dài."]]}]},
    {"key": "ca-chet-ho-bich-son", "name": "Cá chết ở hồ Bích Sơn", "section": "Môi trường", "phases": [
        {"day": "2026-11-03", "titles": [
            "Cá chết trắng mặt hồ Bích Sơn, ngành môi trường vào cuộc",
            "Lấy mẫu nước hồ Bích Sơn sau hiện tượng cá chết",
            "Hồ Bích Sơn xuất hiện cá chết, nghi do thiếu oxy"],
         "slots": [
            ["Sáng 3/11, người dân phát hiện nhiều cá chết nổi trên mặt hồ Bích Sơn.",
             "Hàng trăm con cá chết nổi trên hồ Bích Sơn vào sáng 3/11.",
             "Người dân quanh hồ Bích Sơn thấy cá chết nổi dày đặc sáng 3/11."],
            ["Sở Tài nguyên và Môi trường đã lấy mẫu nước để xét nghiệm.",
             "Mẫu nước hồ đã được Sở Tài nguyên và Môi trường lấy đi phân tích.",
             "Cán bộ Sở Tài nguyên và Môi trường có mặt để lấy mẫu nước."],
            ["Nhận định ban đầu, cá chết do thiếu oxy khi nhiệt độ thay đổi đột ngột sau mưa lũ.",
             "Theo đánh giá sơ bộ, nước hồ thiếu oxy sau đợt lũ khiến cá chết.",
             "Nguyên nhân ban đầu được cho là hồ thiếu oxy do thời tiết thay đổi sau lũ."]]}]},
    {"key": "duong-ven-song", "name": "Khởi công đường ven sông Lam", "section": "Giao thông", "phases": [
        {"day": "2026-09-03", "titles": [
            "Khởi công tuyến đường ven sông Lam dài 11 km",
            "Lam Giang làm đường ven sông Lam nối Giang Khẩu với Phú Dương",
            "Đường ven sông Lam 1.500 tỷ đồng chính thức khởi công"],
         "slots": [
            ["Ngày 3/9, UBND tỉnh Lam Giang khởi công tuyến đường ven sông Lam nối thành phố Giang Khẩu với thị xã Phú Dương.",
             "Tuyến đường ven sông Lam từ Giang Khẩu đi Phú Dương được khởi công ngày 3/9.",
             "Lễ khởi công đường ven sông Lam, nối Giang Khẩu và Phú Dương, diễn ra sáng 3/9."],
            ["Tuyến đường dài 11 km, tổng vốn khoảng 1.500 tỷ đồng, dự kiến hoàn thành năm 2029.",
             "Con đường dài 11 km với vốn đầu tư khoảng 1.500 tỷ đồng, sẽ xong vào năm 2029.",
             "Dự án dài 11 km, vốn 1.500 tỷ đồng, thời gian thi công đến năm 2029."],
            ["Khoảng 320 hộ dân bị ảnh hưởng bởi việc giải phóng mặt bằng.",
             "Việc giải phóng mặt bằng liên quan đến khoảng 320 hộ.",
             "Có khoảng 320 hộ phải di dời hoặc bị thu hồi một phần đất."]]}]},
]

# --- The rumour rising when the sample ends: no fact-check yet, so the demo's "now" (the end of the
# sample, written to the manifest as ``now``) has something rising, a watchlist to count it and a claim
# waiting in the queue. Generated with its own random stream so the rest of the sample stays as it was.
RISING_SEED = SEED + 1
RISING_STORY: dict = {
    "key": "dap-thuy-dien-bich-son", "name": "Tin đồn đập thủy điện Bích Sơn bị nứt", "section": "Thời sự",
    "phases": [{"day": "2026-11-20", "titles": [
        "Công ty Thủy điện Bích Sơn kiểm tra đập sau tin đồn bị nứt",
        "Tin đồn đập thủy điện Bích Sơn sắp vỡ khiến người dân hạ du lo lắng",
        "Đập thủy điện Bích Sơn được kiểm tra khẩn sau tin đồn lan trên mạng"],
        "slots": [
            ["Từ tối 19/11, trên mạng xã hội lan truyền tin đập thủy điện Bích Sơn bị nứt và sắp vỡ.",
             "Tối 19/11, nhiều tài khoản mạng xã hội chia sẻ thông tin đập thủy điện Bích Sơn đã nứt, có nguy cơ vỡ.",
             "Thông tin đập thủy điện Bích Sơn bị nứt, sắp vỡ được chia sẻ nhanh trên mạng xã hội từ tối 19/11."],
            ["Sáng 20/11, Công ty Thủy điện Bích Sơn cho biết đã cử cán bộ kỹ thuật kiểm tra toàn bộ thân đập.",
             "Công ty Thủy điện Bích Sơn cho biết sáng 20/11 đã kiểm tra thân đập và cửa xả.",
             "Ngày 20/11, cán bộ kỹ thuật của Công ty Thủy điện Bích Sơn đã kiểm tra thân đập theo yêu cầu của tỉnh."],
            ["Nhiều hộ dân ở xã Tân Khê và Phú Lâm cho biết đã chuẩn bị đồ đạc để sơ tán.",
             "Người dân các xã Tân Khê, Phú Lâm ở hạ du lo lắng, một số hộ đã thu dọn đồ đạc.",
             "Ở hạ du, nhiều gia đình xã Tân Khê và Phú Lâm đã chuẩn bị sơ tán vì lo đập vỡ."]]}],
}
# Watchlists the demo saves (queries without diacritics match every spelling).
WATCHLISTS = [
    {"name": "Đập thủy điện", "query": '"dap thuy dien"'},
    {"name": "Nước máy", "query": '"nuoc may"'},
    {"name": "Lừa đảo qua mạng", "query": '"lua dao" OR "duong link"'},
    {"name": "Sốt xuất huyết", "query": '"sot xuat huyet"'},
]
RISING_POSTS = [
    "Đập thủy điện Bích Sơn bị nứt rồi, sắp vỡ đến nơi, bà con hạ du sơ tán gấp!",
    "Nghe nói đập thủy điện Bích Sơn nứt nên đang xả lũ khẩn cấp, ai ở Tân Khê đi ngay đi.",
    "Đập thủy điện Bích Sơn nứt một đường dài, nước sắp tràn về Phú Lâm, mọi người chuẩn bị sơ tán.",
    "Người dân hạ du đập thủy điện Bích Sơn đang chạy lũ vì đập sắp vỡ, chia sẻ cho người nhà biết.",
]

# --- False or misleading claims, the official answers and the fact-checks. --------------------------
CLAIMS: list[dict] = [
    {"key": "nuoc-may-nhiem-doc", "story": "nuoc-may-giang-khau", "day": "2026-11-12",
     "claim": "Nước máy ở Giang Khẩu bị nhiễm độc, không được dùng để nấu ăn.",
     "verdict": "sai sự thật", "official_day": "2026-11-13",
     "explanation": "18 mẫu nước máy ở ba phường đều đạt quy chuẩn; nước đục vài giờ là do súc xả đường ống sau sửa chữa.",
     "posts": ["Mọi người ơi nước máy ở Giang Khẩu bị nhiễm độc rồi, đừng dùng nấu ăn nhé!",
               "Nghe nói nước máy phường Vĩnh Tân nhiễm độc nên mới đục như vậy, không ai dám uống.",
               "Nhà mình ở Bến Đò, nước máy đục ngầu, người ta bảo nước bị nhiễm độc, cả nhà phải mua nước bình.",
               "Công ty nước giấu chuyện nước máy nhiễm độc, mọi người chia sẻ cho nhau biết."],
     "official": ("Sở Y tế thông tin về chất lượng nước máy tại thành phố Giang Khẩu",
                  "Sở Y tế tỉnh Lam Giang thông tin: 18 mẫu nước máy lấy ngày 12/11 tại các phường Vĩnh Tân, Bến Đò và Hòa Phong đều đạt quy chuẩn kỹ thuật quốc gia về chất lượng nước sạch. Hiện tượng nước đục trong vài giờ sau khi cấp nước trở lại là do súc xả đường ống. Thông tin nước máy nhiễm độc là sai sự thật. Người dân tiếp tục sử dụng nước bình thường.")},
    {"key": "nghi-hoc-het-tuan", "story": "bao-so-8", "day": "2026-10-12",
     "claim": "Toàn tỉnh Lam Giang cho học sinh nghỉ học hết tuần vì bão số 8.",
     "verdict": "gây hiểu lầm", "official_day": "2026-10-12",
     "explanation": "Chỉ học sinh ba huyện Bích Sơn, Đông Lâm và Ngọc Trà nghỉ học một ngày 13/10; các nơi khác học bình thường.",
     "posts": ["Sở giáo dục cho học sinh toàn tỉnh nghỉ học hết tuần này vì bão nhé các phụ huynh.",
               "Thông báo: các trường học Lam Giang cho nghỉ hết tuần, không phải đưa con đi học đâu.",
               "Bão số 8 nên toàn tỉnh cho học sinh nghỉ học đến hết tuần, mọi người báo nhau nhé.",
               "Con mình được nghỉ học cả tuần vì bão, trường nào cũng nghỉ hết."],
     "official": ("Sở Giáo dục và Đào tạo thông báo về việc cho học sinh nghỉ học tránh bão số 8",
                  "Sở Giáo dục và Đào tạo tỉnh Lam Giang thông báo: chỉ học sinh thuộc các huyện Bích Sơn, Đông Lâm và Ngọc Trà nghỉ học trong ngày 13/10 để phòng tránh bão số 8. Học sinh thành phố Giang Khẩu và thị xã Phú Dương đi học bình thường. Thông tin toàn tỉnh nghỉ học hết tuần là không đúng. Việc nghỉ học những ngày tiếp theo sẽ được thông báo chính thức trên trang của Sở.")},
    {"key": "sap-cau", "story": "cau-giang-khau-2", "day": "2026-10-25",
     "claim": "Cầu Giang Khẩu 2 vừa khánh thành đã bị nứt, sắp sập.",
     "verdict": "sai sự thật", "official_day": "2026-10-26",
     "explanation": "Kiểm tra của Sở Giao thông vận tải cho thấy cầu không có vết nứt kết cấu; các khe trên mặt cầu là khe co giãn theo thiết kế.",
     "posts": ["Cầu Giang Khẩu 2 mới khánh thành đã nứt toác rồi, sắp sập đến nơi, mọi người đừng đi qua.",
               "Sập cầu Giang Khẩu 2! Có người quay được vết nứt to trên mặt cầu.",
               "Cầu mới làm chưa được một tháng đã nứt, nghe nói sắp cấm xe vì sợ sập.",
               "Ai đi cầu Giang Khẩu 2 cẩn thận nha, cầu bị nứt nặng lắm rồi."],
     "official": ("Sở Giao thông vận tải thông tin về tình trạng cầu Giang Khẩu 2",
                  "Ngày 26/10, Sở Giao thông vận tải tỉnh Lam Giang đã kiểm tra toàn bộ kết cấu cầu Giang Khẩu 2. Cầu không có vết nứt kết cấu; các đường khe trên mặt cầu được chia sẻ trên mạng xã hội là khe co giãn theo thiết kế. Cầu hoạt động bình thường, không có nguy cơ sập. Đề nghị người dân không chia sẻ thông tin sai sự thật.")},
    {"key": "link-ho-tro-lu", "story": "lua-dao-gia-danh", "day": "2026-10-19",
     "claim": "UBND tỉnh hỗ trợ 5 triệu đồng cho mỗi hộ vùng lũ, đăng ký nhận qua đường link.",
     "verdict": "sai sự thật", "official_day": "2026-10-20",
     "explanation": "Tiền hỗ trợ lũ chỉ được chi trực tiếp tại UBND xã; đường link là của kẻ lừa đảo nhằm lấy tài khoản ngân hàng.",
     "posts": ["UBND tỉnh hỗ trợ 5 triệu mỗi hộ bị lũ, bấm vào link để đăng ký nhận tiền ngay nhé mọi người.",
               "Nhận 5 triệu hỗ trợ lũ lụt từ tỉnh, chỉ cần điền thông tin ngân hàng vào đường link này.",
               "Hộ nào bị ngập thì đăng ký qua link để được nhận 5 triệu tiền hỗ trợ của tỉnh, hết hạn trong hôm nay.",
               "Tỉnh phát tiền hỗ trợ lũ 5 triệu qua mạng, mọi người đăng ký nhanh kẻo hết."],
     "official": ("UBND tỉnh cảnh báo thông tin giả mạo về việc hỗ trợ người dân vùng lũ",
                  "UBND tỉnh Lam Giang khẳng định không có chủ trương hỗ trợ người dân vùng lũ qua đường link hay tin nhắn. Tiền hỗ trợ khắc phục hậu quả lũ được chi trả trực tiếp tại UBND các xã. Các tin nhắn mời đăng ký nhận 5 triệu đồng qua mạng là giả mạo, nhằm chiếm đoạt tài khoản ngân hàng. Người dân không bấm vào đường link lạ và không cung cấp mật khẩu, mã OTP.")},
    {"key": "phong-toa-vinh-tan", "story": "sot-xuat-huyet", "day": "2026-09-27",
     "claim": "Phường Vĩnh Tân bị phong tỏa vì dịch sốt xuất huyết, đã có nhiều người chết.",
     "verdict": "sai sự thật", "official_day": "2026-09-28",
     "explanation": "Không có chủ trương phong tỏa; sốt xuất huyết không lây qua tiếp xúc và tỉnh chưa có ca tử vong.",
     "posts": ["Phường Vĩnh Tân bị phong tỏa rồi vì sốt xuất huyết, chết mấy người rồi đó.",
               "Nghe nói sắp phong tỏa phường Vĩnh Tân do dịch sốt xuất huyết, ai ở đó đi mua đồ tích trữ đi.",
               "Dịch sốt xuất huyết ở Vĩnh Tân nặng lắm, có người chết, công an chặn đường không cho ra vào.",
               "Vĩnh Tân phong tỏa vì sốt xuất huyết, bệnh viện quá tải."],
     "official": ("Sở Y tế thông tin về tình hình sốt xuất huyết tại phường Vĩnh Tân",
                  "Sở Y tế tỉnh Lam Giang thông tin: số ca sốt xuất huyết tại phường Vĩnh Tân có tăng nhưng trong tầm kiểm soát. Không có chủ trương phong tỏa hay cách ly khu dân cư vì sốt xuất huyết không lây qua tiếp xúc thông thường. Đến nay tỉnh chưa ghi nhận ca tử vong. Thông tin phường Vĩnh Tân bị phong tỏa là sai sự thật.")},
]

OTHER_OFFICIAL = [
    ("2026-09-01", "UBND tỉnh Lam Giang công bố lịch tiếp công dân tháng 9", "Chủ tịch UBND tỉnh Lam Giang tiếp công dân định kỳ vào ngày 15 hằng tháng tại Trụ sở Tiếp công dân tỉnh, số 2 đường Trần Phú, thành phố Giang Khẩu."),
    ("2026-09-08", "Sở Y tế hướng dẫn phòng chống sốt xuất huyết", "Sở Y tế đề nghị người dân thực hiện chiến dịch diệt lăng quăng mỗi tuần một lần, ngủ màn kể cả ban ngày và đi khám ngay khi sốt cao liên tục."),
    ("2026-09-25", "Thông báo phân luồng giao thông phục vụ lễ khánh thành cầu Giang Khẩu 2", "Từ 6 giờ đến 11 giờ ngày 30/9, các phương tiện đi từ Giang Khẩu sang Đông Lâm đi theo cầu Giang Khẩu 1. Lực lượng cảnh sát giao thông hướng dẫn tại các nút giao."),
    ("2026-10-11", "Ban Chỉ huy phòng chống thiên tai tỉnh ra công điện ứng phó bão số 8", "Ban Chỉ huy phòng chống thiên tai và tìm kiếm cứu nạn tỉnh Lam Giang yêu cầu các huyện ven sông Lam sơ tán người dân ở vùng trũng, kiểm tra đê điều và cấm tàu thuyền ra khơi từ chiều 11/10."),
    ("2026-10-16", "UBND tỉnh Lam Giang chỉ đạo khắc phục hậu quả lũ tại huyện Bích Sơn", "UBND tỉnh yêu cầu huyện Bích Sơn rà soát thiệt hại, hỗ trợ kịp thời các hộ có nhà bị ngập, bảo đảm nước sạch và phòng dịch bệnh sau lũ."),
    ("2026-10-30", "Công an tỉnh Lam Giang khuyến cáo phòng chống lừa đảo qua mạng", "Công an tỉnh khuyến cáo người dân không cung cấp mật khẩu, mã OTP cho bất kỳ ai; cơ quan công an không làm việc qua điện thoại hay mạng xã hội."),
    ("2026-11-06", "Sở Tài nguyên và Môi trường thông tin về hiện tượng cá chết tại hồ Bích Sơn", "Kết quả quan trắc cho thấy hàm lượng oxy hòa tan trong nước hồ Bích Sơn thấp sau mưa lũ; chưa phát hiện dấu hiệu xả thải. Sở tiếp tục theo dõi chất lượng nước hồ."),
    ("2026-11-11", "Công ty Cổ phần Cấp nước Lam Giang thông báo tạm ngừng cấp nước", "Để thay thế tuyến ống chính, công ty tạm ngừng cấp nước từ 22 giờ ngày 11/11 đến 10 giờ ngày 12/11 tại các phường Vĩnh Tân, Bến Đò và Hòa Phong. Sau khi cấp nước lại, nước có thể đục trong vài giờ đầu."),
    ("2026-11-18", "UBND tỉnh Lam Giang tổ chức hội nghị tổng kết công tác phòng chống thiên tai", "Hội nghị đánh giá công tác ứng phó bão số 8 và lũ sông Lam, biểu dương các tập thể, cá nhân có thành tích trong cứu hộ, cứu nạn."),
]

# --- Background items: templates with fillers (not part of any story). ----------------------------
COMMUNES = ["xã Tân Khê", "xã Phú Lâm", "xã Hà Thượng", "xã Thủy Liên", "xã Ngọc Sơn", "xã Đông Hòa",
            "thị trấn Ngọc Trà", "xã Lâm Phước", "xã Bình An Thượng", "xã Cát Lũy"]
WARDS = ["phường Vĩnh Tân", "phường Bến Đò", "phường Hòa Phong", "phường Phú Dương", "phường Sông Cầu"]
DISTRICTS = ["huyện Bích Sơn", "huyện Đông Lâm", "huyện Ngọc Trà", "thị xã Phú Dương", "thành phố Giang Khẩu"]
PEOPLE = ["ông Đinh Văn Lộc", "bà Hà Thị Nhung", "ông Trương Quang Vinh", "bà Lục Thị Thoa", "ông Mạc Đình Khải"]
WEATHER = ["có mưa rào và dông rải rác", "trời nắng, chiều tối có mưa nhỏ", "nhiều mây, có mưa vừa", "trời se lạnh về đêm và sáng sớm"]
# (topic key, section, title, sentence slots with paraphrases). {d} district, {x} commune, {w} ward,
# {who} a local official, {n1}..{n5} numbers; each topic is used a few times with different fillers.
BACKGROUND = [
    ("gia-lua", "Kinh tế", "Giá lúa tại {d} tăng nhẹ", [
        ["Giá lúa tươi tại {d} đang ở mức {n1}.{n2}00 đồng mỗi kg, tăng khoảng 200 đồng so với tuần trước.",
         "Thương lái đang mua lúa tươi ở {d} với giá {n1}.{n2}00 đồng/kg, nhích 200 đồng so với tuần trước."],
        ["Năng suất vụ này ở {x} đạt khoảng {n3} tạ mỗi ha.", "Nông dân {x} cho biết mỗi ha thu được chừng {n3} tạ."]]),
    ("nha-van-hoa", "Xã hội", "{x} có nhà văn hóa mới", [
        ["Nhà văn hóa {x} vừa được khánh thành với kinh phí khoảng {n4} tỷ đồng.",
         "Sau gần một năm xây dựng, nhà văn hóa {x} trị giá khoảng {n4} tỷ đồng đã đưa vào sử dụng."],
        ["Đây là nơi bà con sinh hoạt cộng đồng, tập văn nghệ và thể thao.", "Công trình phục vụ hội họp, tập luyện văn nghệ, thể thao của người dân."]]),
    ("bong-da", "Thể thao", "Giải bóng đá thanh niên {d} khởi tranh", [
        ["Giải bóng đá thanh niên {d} năm 2026 có {n5} đội tham dự.", "{n5} đội bóng tham gia giải bóng đá thanh niên {d} năm nay."],
        ["Các trận đấu diễn ra vào cuối tuần tại sân vận động trung tâm.", "Giải thi đấu vòng tròn, các trận được tổ chức vào thứ bảy và chủ nhật."]]),
    ("thoi-tiet", "Thời tiết", "Thời tiết Lam Giang những ngày tới: {weather}", [
        ["Đài Khí tượng Thủy văn tỉnh dự báo khu vực {d} {weather}.", "Theo Đài Khí tượng Thủy văn tỉnh, những ngày tới {d} {weather}."],
        ["Nhiệt độ cao nhất từ {n6} đến {n7} độ C.", "Nhiệt độ ban ngày dao động từ {n6} đến {n7} độ C."]]),
    ("tra-sen-online", "Kinh tế", "Hợp tác xã ở {x} bán trà sen qua mạng", [
        ["Hợp tác xã nông nghiệp {x} bắt đầu bán trà sen và hạt sen khô trên sàn thương mại điện tử.",
         "Trà sen, hạt sen khô của hợp tác xã nông nghiệp {x} đã có mặt trên các sàn thương mại điện tử."],
        ["Mỗi tháng hợp tác xã bán được khoảng {n5}0 đơn hàng.", "Trung bình mỗi tháng có khoảng {n5}0 đơn đặt hàng."]]),
    ("hoc-bong", "Giáo dục", "{d} trao {n5}0 suất học bổng cho học sinh khó khăn", [
        ["Hội Khuyến học {d} vừa trao {n5}0 suất học bổng, mỗi suất 2 triệu đồng.", "{n5}0 học sinh nghèo vượt khó ở {d} nhận học bổng 2 triệu đồng mỗi em."],
        ["Nhiều suất do doanh nghiệp trên địa bàn tài trợ.", "Kinh phí chủ yếu do các doanh nghiệp địa phương đóng góp."]]),
    ("tram-y-te", "Y tế", "Trạm y tế {x} được trang bị máy siêu âm", [
        ["Trạm y tế {x} vừa được trang bị máy siêu âm và máy xét nghiệm máu.", "Máy siêu âm và máy xét nghiệm máu mới đã về trạm y tế {x}."],
        ["Người dân có thể khám bệnh thông thường ngay tại xã.", "Bà con không phải lên tuyến huyện để làm các xét nghiệm cơ bản."]]),
    ("hien-mau", "Xã hội", "Ngày hội hiến máu tại {d} thu {n8} đơn vị máu", [
        ["Ngày hội hiến máu tình nguyện tại {d} thu được {n8} đơn vị máu.", "{n8} đơn vị máu đã được tiếp nhận trong ngày hội hiến máu ở {d}."],
        ["Đoàn viên thanh niên và người dân có mặt từ sáng sớm.", "Người tham gia chủ yếu là đoàn viên, sinh viên và cán bộ."]]),
    ("rau-an-toan", "Nông nghiệp", "Nông dân {x} chuyển sang trồng rau an toàn", [
        ["Khoảng {n5} ha đất lúa kém hiệu quả ở {x} đã được chuyển sang trồng rau an toàn.", "{x} chuyển {n5} ha ruộng lúa năng suất thấp sang trồng rau theo hướng an toàn."],
        ["Sản phẩm được một số siêu thị ở Giang Khẩu bao tiêu.", "Rau làm ra được các cửa hàng ở thành phố ký hợp đồng thu mua."]]),
    ("van-nghe", "Văn hóa", "Liên hoan văn nghệ quần chúng {d}", [
        ["Liên hoan văn nghệ quần chúng {d} quy tụ {n5} đội đến từ các xã, phường.", "{n5} đội văn nghệ tham gia liên hoan văn nghệ quần chúng {d}."],
        ["Nhiều tiết mục dân ca, múa và kịch ngắn ca ngợi quê hương.", "Các tiết mục chủ yếu là hát dân ca và múa."]]),
    ("duong-lien-xa", "Giao thông", "Nâng cấp đường liên xã qua {x}", [
        ["Tuyến đường liên xã qua {x} dài {n5} km đang được mở rộng lên 7 mét.", "Đường liên xã qua {x} với chiều dài {n5} km đang được nâng cấp."],
        ["Công trình dự kiến xong trước Tết Nguyên đán.", "Đơn vị thi công cam kết hoàn thành trước Tết."]]),
    ("tiep-dan", "Chính quyền", "Lãnh đạo {d} tiếp công dân định kỳ", [
        ["Chủ tịch UBND {d} đã tiếp {n5} lượt công dân trong buổi tiếp dân định kỳ.", "Buổi tiếp dân định kỳ của lãnh đạo {d} tiếp nhận {n5} lượt người đến phản ánh."],
        ["Phần lớn ý kiến liên quan đến đất đai và hạ tầng.", "Các kiến nghị chủ yếu về đất đai, đường sá và nước sinh hoạt."]]),
    ("chuyen-doi-so", "Công nghệ", "{w} hướng dẫn người dân làm thủ tục trực tuyến", [
        ["Tổ công nghệ số cộng đồng {w} đã hướng dẫn {n8} người dân nộp hồ sơ trực tuyến.", "{n8} lượt người dân {w} được hướng dẫn làm thủ tục hành chính qua mạng."],
        ["Nhiều người cao tuổi đã tự đăng ký được tài khoản định danh.", "Người cao tuổi được cài đặt và hướng dẫn dùng tài khoản định danh điện tử."]]),
    ("ve-sinh-moi-truong", "Môi trường", "{w} ra quân làm sạch kênh mương", [
        ["Hơn {n8} người dân {w} tham gia dọn rác, khơi thông kênh mương.", "{w} huy động hơn {n8} người dọn vệ sinh kênh mương trong khu dân cư."],
        ["Chương trình được tổ chức vào sáng chủ nhật hằng tháng.", "Hoạt động sẽ được duy trì mỗi tháng một lần."]]),
    ("cho-phien", "Kinh tế", "Chợ phiên nông sản {d} tháng này", [
        ["Chợ phiên nông sản {d} có {n5} gian hàng của các hợp tác xã.", "{n5} gian hàng nông sản, đặc sản địa phương có mặt tại chợ phiên {d}."],
        ["Hạt sen, mật ong và gạo thơm được bán chạy nhất.", "Người mua chuộng nhất là gạo thơm, mật ong và hạt sen."]]),
    ("boi-loi", "Thể thao", "Dạy bơi miễn phí cho trẻ em {d}", [
        ["{d} tổ chức lớp dạy bơi miễn phí cho {n5}0 trẻ em.", "Lớp bơi miễn phí ở {d} thu hút {n5}0 em nhỏ tham gia."],
        ["Các em được học kỹ năng an toàn khi ở gần sông nước.", "Ngoài bơi, các em học cách phòng tránh đuối nước."]]),
    ("nuoi-ong", "Nông nghiệp", "Nghề nuôi ong ở {x} cho thu nhập khá", [
        ["Nhiều hộ ở {x} nuôi ong lấy mật dưới tán rừng keo.", "Người dân {x} phát triển nghề nuôi ong lấy mật."],
        ["Mỗi năm một hộ thu khoảng {n5}0 lít mật.", "Bình quân mỗi hộ thu hoạch chừng {n5}0 lít mật ong một năm."]]),
    ("thu-vien", "Giáo dục", "Trường học ở {x} có thư viện thân thiện", [
        ["Trường tiểu học {x} vừa khai trương thư viện thân thiện với hơn {n8}0 đầu sách.", "Thư viện thân thiện với hơn {n8}0 cuốn sách đã mở cửa tại trường tiểu học {x}."],
        ["Học sinh có thể đọc sách vào giờ ra chơi.", "Thư viện mở cửa cả giờ ra chơi để học sinh đọc sách."]]),
    ("tiem-chung", "Y tế", "{w} tiêm vắc xin sởi cho trẻ", [
        ["Trạm y tế {w} đã tiêm vắc xin sởi cho {n8} trẻ em.", "{n8} trẻ ở {w} được tiêm vắc xin phòng sởi đợt này."],
        ["Phụ huynh được nhắc đưa trẻ đi tiêm đúng lịch.", "Ngành y tế đề nghị phụ huynh cho con tiêm đủ mũi."]]),
    ("thi-nau-an", "Văn hóa", "Hội thi ẩm thực quê hương tại {d}", [
        ["Hội thi ẩm thực quê hương {d} có {n5} đội tham gia.", "{n5} đội tranh tài ở hội thi ẩm thực {d}."],
        ["Món bánh đa cá và chè hạt sen được ban giám khảo đánh giá cao.", "Ban giám khảo chấm giải cao nhất cho món bánh đa cá."]]),
    ("pccc", "An ninh", "Diễn tập phòng cháy chữa cháy tại chợ {w}", [
        ["Cảnh sát phòng cháy và chữa cháy tổ chức diễn tập tại chợ {w}.", "Buổi diễn tập phòng cháy chữa cháy được tổ chức tại chợ {w}."],
        ["Có {n5}0 tiểu thương và lực lượng dân phòng tham gia.", "{n5}0 tiểu thương cùng dân phòng đã tham gia diễn tập."]]),
    ("nha-tinh-nghia", "Xã hội", "Trao nhà tình nghĩa cho hộ nghèo ở {x}", [
        ["Mặt trận Tổ quốc {d} trao {n4} căn nhà tình nghĩa cho hộ nghèo ở {x}.", "{n4} hộ nghèo ở {x} được nhận nhà tình nghĩa."],
        ["Mỗi căn trị giá khoảng 60 triệu đồng.", "Kinh phí mỗi căn khoảng 60 triệu đồng."]]),
    ("ca-long", "Nông nghiệp", "Nuôi cá lồng trên sông Lam ở {x}", [
        ["Mô hình nuôi cá lồng trên sông Lam ở {x} có {n5} hộ tham gia.", "{n5} hộ ở {x} đang nuôi cá lồng trên sông Lam."],
        ["Cá trắm, cá diêu hồng là hai loài được nuôi nhiều nhất.", "Người dân chủ yếu nuôi cá trắm và cá diêu hồng."]]),
    ("dien-mat-troi", "Kinh tế", "{d} lắp đèn năng lượng mặt trời cho đường quê", [
        ["{d} lắp {n8} bộ đèn năng lượng mặt trời trên các tuyến đường nông thôn.", "{n8} cột đèn năng lượng mặt trời được lắp dọc đường quê ở {d}."],
        ["Người dân đi lại ban đêm an toàn hơn.", "Việc đi lại buổi tối của bà con thuận tiện hơn nhiều."]]),
    ("sach-giao-khoa", "Giáo dục", "Tặng sách giáo khoa cho học sinh {x}", [
        ["Đoàn thanh niên {d} tặng {n8} bộ sách giáo khoa cho học sinh {x}.", "{n8} bộ sách giáo khoa được trao cho học sinh {x}."],
        ["Sách do các gia đình trong tỉnh quyên góp.", "Phần lớn sách được người dân quyên góp lại."]]),
    ("ho-tro-nghe", "Xã hội", "Dạy nghề may cho phụ nữ {x}", [
        ["Hội Liên hiệp Phụ nữ {d} mở lớp dạy nghề may cho {n5} chị em ở {x}.", "{n5} phụ nữ ở {x} theo học lớp may công nghiệp."],
        ["Học viên được giới thiệu việc làm sau khóa học.", "Sau ba tháng, các chị được giới thiệu vào làm ở xưởng may."]]),
    ("benh-vien-kham", "Y tế", "Khám bệnh miễn phí cho người cao tuổi ở {x}", [
        ["Bệnh viện Đa khoa tỉnh khám bệnh, cấp thuốc miễn phí cho {n8} người cao tuổi ở {x}.", "{n8} người cao tuổi {x} được khám và cấp thuốc miễn phí."],
        ["Nhiều người được phát hiện tăng huyết áp.", "Bệnh hay gặp nhất là tăng huyết áp và đau xương khớp."]]),
    ("giai-chay", "Thể thao", "Giải chạy Vì sức khỏe cộng đồng {d}", [
        ["Hơn {n8} người tham gia giải chạy Vì sức khỏe cộng đồng {d}.", "Giải chạy cộng đồng ở {d} thu hút hơn {n8} vận động viên phong trào."],
        ["Cự ly dài nhất là 10 km dọc bờ sông.", "Đường chạy dài nhất 10 km, men theo bờ sông Lam."]]),
    ("lang-nghe", "Văn hóa", "Làng nón lá ở {x} giữ nghề truyền thống", [
        ["Làng nón lá {x} hiện còn khoảng {n5}0 hộ giữ nghề.", "Khoảng {n5}0 gia đình ở {x} vẫn làm nón lá."],
        ["Mỗi chiếc nón bán được khoảng 50.000 đồng.", "Giá một chiếc nón hiện vào khoảng 50.000 đồng."]]),
    ("mua-may-nong-nghiep", "Nông nghiệp", "{x} đưa máy cấy vào đồng ruộng", [
        ["Hợp tác xã nông nghiệp {x} mua thêm {n4} máy cấy phục vụ bà con.", "{n4} máy cấy mới được hợp tác xã nông nghiệp {x} đưa về đồng."],
        ["Chi phí cấy lúa giảm gần một nửa so với cấy tay.", "Nhờ máy cấy, chi phí giảm gần 50% so với trước."]]),
]

ORDINARY_POSTS = [
    "Sáng nay chợ Giang Khẩu đông quá, rau xanh rẻ hơn tuần trước.",
    "Ai biết quán bún cá nào ngon ở phường Bến Đò chỉ mình với.",
    "Chiều nay trời đẹp, đi dạo bờ sông Lam thấy nhiều người tập thể dục.",
    "Đội bóng của xã mình vừa thắng trận bán kết, cả xóm ăn mừng.",
    "Cảm ơn các bác sĩ bệnh viện tỉnh đã chăm sóc bố mình rất chu đáo.",
    "Mùa này hạt sen Đông Lâm ngon lắm, ai cần mua thì nhắn mình.",
    "Tuần sau trường con mình tổ chức hội thao, các mẹ chuẩn bị áo đồng phục nhé.",
    "Đường vào xã Ngọc Sơn đang sửa, mọi người đi vòng đường tỉnh cho nhanh.",
    "Hôm nay Giang Khẩu mưa cả ngày, ra đường nhớ mang áo mưa.",
    "Nhà mình mới trồng được luống rau muống, xanh mướt luôn.",
]
STORY_POSTS = {
    "lu-bich-son": ["Nước lên nhanh quá, nhà ngoại mình ở Tân Khê phải đi sơ tán rồi.", "Cảm ơn các anh bộ đội đã giúp bà con Phú Lâm chuyển đồ lúc nửa đêm.", "Lũ rút rồi, cả xóm đang dọn bùn, mệt nhưng vui vì mọi người an toàn."],
    "cau-giang-khau-2": ["Đi cầu Giang Khẩu 2 sang Đông Lâm giờ chỉ mất 20 phút, tiện thật.", "Sáng nay dự lễ khánh thành cầu mới, đông vui lắm."],
    "sot-xuat-huyet": ["Xóm mình vừa có đợt phun thuốc muỗi, mọi người nhớ đậy kín lu nước nhé.", "Con mình bị sốt xuất huyết, may đi viện sớm nên đã khỏe lại."],
    "le-hoi-sen": ["Lễ hội sen Đông Lâm năm nay đẹp quá, đua thuyền hấp dẫn lắm.", "Trà sen ở hội chợ Đông Lâm thơm ghê, mua mấy gói về làm quà."],
    "tai-nan-deo-ngoc-tra": ["Đèo Ngọc Trà sáng nay có xe khách lật, mọi người đi qua cẩn thận.", "Cầu mong các hành khách trong vụ lật xe ở đèo Ngọc Trà sớm bình phục."],
    "dau-gia-dat": ["Đất Phú Dương đấu giá tới 32 triệu một mét, giá cao quá trời.", "Đi xem đấu giá đất Phú Dương mà đông nghẹt người."],
    "nuoc-may-giang-khau": ["Nhà mình ở Hòa Phong mất nước từ tối qua, mong sớm có nước lại.", "Có nước lại rồi, hơi đục một chút, xả vòi một lúc là trong."],
    "lua-dao-gia-danh": ["Mẹ mình suýt bị lừa vì cuộc gọi giả công an, mọi người nhắc người nhà cẩn thận.", "Công an bắt được nhóm lừa đảo rồi, đáng đời."],
}

TEENCODE = [("không", "ko"), ("Không", "Ko"), ("được", "dc"), ("mọi người", "mn"), ("Mọi người", "Mn"),
            ("biết", "bít"), ("rồi", "rùi"), ("quá", "wá"), ("gì", "j"), ("nhé", "nha"), ("vậy", "v"),
            ("mình", "mik"), ("nhiều", "nhìu"), ("với", "vs")]
TAILS = ["", " Chia sẻ ngay!", " mn ơi chia sẻ ngay", " Share cho người nhà biết với!", " 😱😱", " ai biết gì thêm ko?"]


def teencode(text: str) -> str:
    """Write ``text`` the way hurried posts do: teencode abbreviations."""
    for a, b in TEENCODE:
        text = text.replace(a, b)
    return text


def variants(text: str, rng: random.Random) -> list[tuple[str, str]]:
    """Styles of one post: plain, no diacritics, teencode, teencode without diacritics, capitals."""
    tail = rng.choice(TAILS)
    return [
        ("plain", text + tail),
        ("nodiac", fold(text) + fold(tail)),
        ("teencode", teencode(text) + " mn ơi"),
        ("nodiac-teencode", fold(teencode(text)) + " chia se ngay"),
        ("caps", "KHẨN CẤP!!! " + text.upper()),
    ]


def at(day: str | dt.date, rng: random.Random, lo: int = 6, hi: int = 22) -> dt.datetime:
    """A time on ``day`` (Vietnam time) between ``lo`` and ``hi`` o'clock."""
    d = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return dt.datetime(d.year, d.month, d.day, rng.randint(lo, hi - 1), rng.randint(0, 59), tzinfo=TZ)


def slug(text: str) -> str:
    """A URL slug from a Vietnamese title."""
    out = "".join(c if c.isalnum() else "-" for c in fold(text))
    return "-".join(p for p in out.split("-") if p)[:80]


# --------------------------------------------------------------------------------------------------
# Generation


FIRST = ["Minh", "Hoa", "Tuấn", "Lan", "Hùng", "Mai", "Phương", "Dũng", "Thảo", "Khoa", "Ngọc", "Bảo", "Trang", "Long"]
LAST = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "Bùi"]
PAGES = ["Tin nóng Giang Khẩu", "Hội người Bích Sơn", "Chợ Phú Dương online", "Góc phố Lam Giang", "Review Đông Lâm"]


def handle(rng: random.Random) -> str:
    """A fictional account name: a person, a handle or a community page."""
    r = rng.random()
    if r < 0.45:
        return f"{rng.choice(LAST)} {rng.choice(FIRST)}"
    if r < 0.85:
        return f"{fold(rng.choice(FIRST))}.{fold(rng.choice(LAST))}{rng.randint(80, 2005)}"
    return rng.choice(PAGES)


def make_articles(rng: random.Random) -> list[dict]:
    """Story articles: every outlet covering a phase picks its own title and wording."""
    items = []
    for story in STORIES:
        for phase in story["phases"]:
            outlets = rng.sample(OUTLETS, k=rng.choice([3, 3, 4, 4, 2]))
            titles = phase["titles"][:]
            rng.shuffle(titles)
            bases = [rng.randrange(len(s)) for s in phase["slots"]]
            used: set[tuple[int, ...]] = set()
            for pos, outlet in enumerate(outlets):
                choice = tuple((bases[i] + pos) % len(slot) for i, slot in enumerate(phase["slots"]))
                while choice in used:  # a fourth outlet: mix the paraphrases differently
                    choice = tuple(rng.randrange(len(slot)) for slot in phase["slots"])
                used.add(choice)
                sents = [slot[choice[i]] for i, slot in enumerate(phase["slots"])]
                if len(sents) >= 4 and rng.random() < 0.35:
                    del sents[rng.randrange(2, len(sents))]
                day = dt.date.fromisoformat(phase["day"]) + dt.timedelta(days=1 if pos >= 3 else 0)
                items.append({
                    "outlet": outlet["key"], "title": titles[pos % len(titles)], "lead": sents[0],
                    "body": " ".join(sents[1:]), "section": story["section"], "published": at(day, rng),
                    "story": story["key"], "claim": None, "syndicated_from": None,
                })
    return items


def make_rising(rng: random.Random) -> tuple[list[dict], list[dict]]:
    """The rumour rising when the sample ends (:data:`RISING_STORY`): posts from the evening of the day
    before the end to the last evening, and the articles of three outlets on the last day."""
    story, phase = RISING_STORY, RISING_STORY["phases"][0]
    day = dt.date.fromisoformat(phase["day"])
    articles = []
    for pos, outlet in enumerate(rng.sample(OUTLETS, k=3)):
        sents = [slot[(pos + i) % len(slot)] for i, slot in enumerate(phase["slots"])]
        articles.append({
            "outlet": outlet["key"], "title": phase["titles"][pos], "lead": sents[0], "body": " ".join(sents[1:]),
            "section": story["section"], "published": at(day, rng, 10, 20), "story": story["key"], "claim": None,
            "syndicated_from": None,
        })
    first = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(20), TZ)
    posts = []
    for base in RISING_POSTS:
        for style, text in variants(base, rng):
            if style == "nodiac-teencode":
                continue
            viral = style in ("caps", "plain")
            posts.append({"text": text, "style": style, "story": story["key"], "claim": None,
                          "published": first + dt.timedelta(minutes=rng.randint(0, 25 * 60)),
                          "likes": rng.randint(40, 900) * (3 if viral else 1),
                          "shares": rng.randint(10, 400) * (4 if viral else 1),
                          "comments": rng.randint(5, 160), "views": rng.randint(800, 40000), "author": handle(rng)})
    rng.shuffle(posts)
    return articles, posts


def make_background(rng: random.Random, per_topic: int) -> list[dict]:
    """Everyday provincial news that belongs to no story: each topic a few times, in different places."""
    items = []
    days = (END - START).days
    for topic, section, title, slots in BACKGROUND:
        for k in range(per_topic):
            fill = {"d": rng.choice(DISTRICTS), "x": rng.choice(COMMUNES), "w": rng.choice(WARDS),
                    "who": rng.choice(PEOPLE), "weather": rng.choice(WEATHER),
                    "n1": rng.randint(7, 9), "n2": rng.randint(1, 9), "n3": rng.randint(55, 68),
                    "n4": rng.randint(2, 9), "n5": rng.randint(6, 24), "n6": rng.randint(22, 25),
                    "n7": rng.randint(29, 33), "n8": rng.randint(150, 480)}
            sents = [slot[(k + rng.randrange(2)) % len(slot)].format(**fill) for slot in slots]
            sents = [x[0].upper() + x[1:] for x in sents]
            head = title.format(**fill)
            items.append({
                "outlet": rng.choice(OUTLETS)["key"], "title": head[0].upper() + head[1:], "lead": sents[0],
                "body": " ".join(sents[1:]), "section": section, "topic": topic,
                "published": at(START + dt.timedelta(days=rng.randint(0, days)), rng),
                "story": None, "claim": None, "syndicated_from": None,
            })
    return items


def syndicate(rng: random.Random, articles: list[dict], n: int) -> list[dict]:
    """Near-duplicate copies: another outlet republishes a Báo Lam Giang article with a credit line."""
    source = [a for a in articles if a["outlet"] == "blg"]
    copies = []
    for orig in rng.sample(source, k=min(n, len(source))):
        target = rng.choice([o for o in OUTLETS if o["key"] != "blg"])
        body = orig["body"]
        if rng.random() < 0.5 and ". " in body:
            body = body.rsplit(". ", 1)[0] + "."
        copies.append({
            **orig, "outlet": target["key"], "body": f"{body} (Theo Báo Lam Giang)",
            "title": orig["title"] if rng.random() < 0.6 else orig["title"].rstrip(".") + " (cập nhật)",
            "published": orig["published"] + dt.timedelta(hours=rng.randint(2, 9)),
            "syndicated_from": orig,
        })
    return copies


OFFICIAL_STORY = {1: "sot-xuat-huyet", 2: "cau-giang-khau-2", 3: "bao-so-8", 4: "lu-bich-son",
                  5: "lua-dao-gia-danh", 6: "ca-chet-ho-bich-son", 7: "nuoc-may-giang-khau"}


def make_official(rng: random.Random) -> list[dict]:
    """Statements of the provincial People's Committee and departments (kind "official")."""
    items = []
    for c in CLAIMS:
        title, body = c["official"]
        items.append({"title": title, "body": body, "published": at(c["official_day"], rng, 9, 17),
                      "story": c["story"], "claim": c["key"], "answers": c["key"]})
    for i, (day, title, body) in enumerate(OTHER_OFFICIAL):
        items.append({"title": title, "body": body, "published": at(day, rng, 8, 17),
                      "story": OFFICIAL_STORY.get(i), "claim": None, "answers": None})
    return items


def make_posts(rng: random.Random) -> list[dict]:
    """Social posts: false claims in several styles, people talking about stories, everyday chatter."""
    posts = []
    for c in CLAIMS:
        start = dt.date.fromisoformat(c["day"])
        for base in c["posts"]:
            for style, text in variants(base, rng):
                if rng.random() < 0.2:
                    continue
                viral = style in ("caps", "plain")
                posts.append({"text": text, "style": style, "story": c["story"], "claim": c["key"],
                              "published": at(start + dt.timedelta(days=rng.randint(0, 4)), rng, 5, 24),
                              "likes": rng.randint(20, 900) * (3 if viral else 1), "shares": rng.randint(5, 400) * (4 if viral else 1),
                              "comments": rng.randint(0, 160), "views": rng.randint(500, 40000)})
    for key, texts in STORY_POSTS.items():
        story = next(s for s in STORIES if s["key"] == key)
        for text in texts:
            for k in range(rng.choice([1, 2])):
                day = dt.date.fromisoformat(story["phases"][-1]["day"]) + dt.timedelta(days=rng.randint(0, 2))
                posts.append({"text": text if k == 0 else fold(text), "style": "plain" if k == 0 else "nodiac",
                              "story": key, "claim": None, "published": at(day, rng),
                              "likes": rng.randint(0, 300), "shares": rng.randint(0, 40),
                              "comments": rng.randint(0, 60), "views": rng.randint(100, 9000)})
    days = (END - START).days
    for text in ORDINARY_POSTS:
        for k in range(3):
            short = teencode(text) if teencode(text) != text else text.rstrip(".") + ", mn ơi"
            posts.append({"text": [text, short, fold(text)][k], "style": ["plain", "teencode", "nodiac"][k],
                          "story": None, "claim": None,
                          "published": at(START + dt.timedelta(days=rng.randint(0, days)), rng),
                          "likes": rng.randint(0, 120), "shares": rng.randint(0, 10),
                          "comments": rng.randint(0, 30), "views": rng.randint(50, 3000)})
    for p in posts:
        p["author"] = handle(rng)
    rng.shuffle(posts)
    return posts


# --------------------------------------------------------------------------------------------------
# Writers


def rss(channel: dict, items: list[dict]) -> str:
    """An RSS 2.0 document (with content:encoded for the full text)."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">', "<channel>",
           f"<title>{escape(channel['name'])}</title>", f"<link>{channel['site']}/</link>",
           f"<description>{escape(channel['description'])}</description>", "<language>vi</language>"]
    for it in items:
        html = "".join(f"<p>{escape(p)}</p>" for p in (it["lead"], it["body"]) if p)
        out += ["<item>", f"<title>{escape(it['title'])}</title>", f"<link>{it['url']}</link>",
                f'<guid isPermaLink="false">{it["id"]}</guid>',
                f"<pubDate>{format_datetime(it['published'])}</pubDate>",
                f"<category>{escape(it['section'])}</category>",
                f"<description>{escape(it['lead'])}</description>",
                f"<content:encoded><![CDATA[{html}]]></content:encoded>", "</item>"]
    out += ["</channel>", "</rss>", ""]
    return "\n".join(out)


def atom(channel: dict, items: list[dict]) -> str:
    """An Atom 1.0 document."""
    updated = max(it["published"] for it in items).isoformat()
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="vi">',
           f"<title>{escape(channel['name'])}</title>", f'<link href="{channel["site"]}/"/>',
           f"<id>{channel['site']}/</id>", f"<updated>{updated}</updated>"]
    for it in items:
        html = "".join(f"<p>{escape(p)}</p>" for p in (it["lead"], it["body"]) if p)
        out += ["<entry>", f"<title>{escape(it['title'])}</title>", f'<link href="{it["url"]}"/>',
                f"<id>tag:{urlparse(channel['site']).hostname},2026:{it['id']}</id>", f"<published>{it['published'].isoformat()}</published>",
                f"<updated>{it['published'].isoformat()}</updated>",
                f'<category term="{escape(it["section"])}"/>', f"<summary>{escape(it['lead'])}</summary>",
                f'<content type="html">{escape(html)}</content>', "</entry>"]
    out += ["</feed>", ""]
    return "\n".join(out)


README = """# Dữ liệu mẫu: tỉnh Lam Giang (hư cấu) — fictional sample

Mọi tên tỉnh, huyện, xã, người, cơ quan và báo trong thư mục này đều là **bịa đặt**; không có sự kiện
nào là thật. Everything here is invented: the province of Lam Giang and all its people, outlets and
events do not exist. Generated by `scripts/make_sample.py` (seeded, deterministic); do not edit by hand.

| File | Content |
|---|---|
| `feeds/*.rss.xml`, `feeds/*.atom.xml` | one feed per outlet (RSS 2.0, one Atom), 12 weeks to 2026-11-20 |
| `official.xml` | RSS of official statements (document kind `official`) |
| `posts.jsonl` | Facebook-like export; three deliberately broken rows |
| `posts.csv` | social-listening export (`;`, BOM, Vietnamese headers, day-first times); one broken row |
| `factchecks.jsonl` | fact-checks: claim, verdict, explanation, evidence (URL of the official statement) |
| `manifest.json` | the sources (name, kind, path, format, mapping) |
| `gold.json` | for tests only: item id → story key, claim key, syndicated original, post style |
"""


def jline(obj: dict) -> str:
    """One compact JSON line."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def main(out: Path = OUT) -> None:
    """Write the whole sample directory (``out``; the package's sample directory by default)."""
    rng = random.Random(SEED)
    if out.exists():
        shutil.rmtree(out)
    (out / "feeds").mkdir(parents=True)
    gold: dict = {"stories": {s["key"]: s["name"] for s in [*STORIES, RISING_STORY]},
                  "claims": {c["key"]: c["claim"] for c in CLAIMS}, "items": {}, "broken_rows": {}}

    articles = make_articles(rng)
    articles += syndicate(rng, articles, 16)
    articles += make_background(rng, 3)
    rising_rng = random.Random(RISING_SEED)
    rising_articles, rising_posts = make_rising(rising_rng)
    articles += rising_articles
    articles.sort(key=lambda a: a["published"])
    sources = []
    for outlet in OUTLETS:
        mine = [a for a in articles if a["outlet"] == outlet["key"]]
        for n, a in enumerate(mine, 1):
            a["id"] = f"{outlet['key']}-{n:04d}"
            a["url"] = f"{outlet['site']}/{slug(a['section'])}/{slug(a['title'])}-{n:04d}.html"
        channel = {**outlet, "description": f"Tin tức mới nhất của {outlet['name']}"}
        feed = (atom if outlet["format"] == "atom" else rss)(channel, sorted(mine, key=lambda a: a["published"], reverse=True))
        path = f"feeds/{outlet['key']}.{'atom' if outlet['format'] == 'atom' else 'rss'}.xml"
        (out / path).write_text(feed, encoding="utf-8")
        sources.append({"name": outlet["name"], "kind": "feed", "format": outlet["format"], "path": path, "doc_kind": "article"})
    for a in articles:
        gold["items"][a["id"]] = {"file": next(s["path"] for s in sources if s["name"] == next(o["name"] for o in OUTLETS if o["key"] == a["outlet"])),
                                  "kind": "article", "url": a["url"], "story": a["story"], "claim": None,
                                  "topic": a.get("topic"),
                                  "syndicated_from": a["syndicated_from"]["id"] if a["syndicated_from"] else None}

    official = sorted(make_official(rng), key=lambda o: o["published"])
    answer_url = {}
    for n, o in enumerate(official, 1):
        lead, _, rest = o["body"].partition(". ")
        o.update(id=f"off-{n:04d}", url=f"{OFFICIAL_SITE}/thong-tin/{slug(o['title'])}-{n:04d}.html",
                 lead=lead.rstrip(".") + ".", body=rest, section="Thông tin chính thức")
        if o["answers"]:
            answer_url[o["answers"]] = o
        gold["items"][o["id"]] = {"file": "official.xml", "kind": "official", "url": o["url"], "story": o["story"],
                                  "claim": o["claim"], "syndicated_from": None}
    channel = {"name": "UBND tỉnh Lam Giang — Thông tin chính thức", "site": OFFICIAL_SITE,
               "description": "Thông cáo, thông báo của UBND tỉnh Lam Giang và các sở, ngành"}
    (out / "official.xml").write_text(rss(channel, sorted(official, key=lambda o: o["published"], reverse=True)), encoding="utf-8")
    sources.append({"name": "UBND tỉnh Lam Giang", "kind": "feed", "format": "rss", "path": "official.xml", "doc_kind": "official"})

    posts = make_posts(rng)
    cut = int(len(posts) * 0.6)
    half = len(rising_posts) // 2
    write_posts_jsonl(out, posts[:cut], gold, tail=rising_posts[:half])
    write_posts_csv(out, posts[cut:], gold, tail=rising_posts[half:])
    sources.append({"name": "Xuất dữ liệu Facebook (mẫu)", "kind": "import", "format": "jsonl", "path": "posts.jsonl",
                    "doc_kind": "post", "platform": "facebook",
                    "mapping": {"text": ["message"], "time": ["created_time"], "url": ["permalink_url"],
                                "post_id": ["id"], "author": ["from.name"], "likes": ["reactions.like"],
                                "shares": ["shares.count"], "comments": ["comments_count"]}})
    sources.append({"name": "Công cụ theo dõi mạng xã hội (mẫu)", "kind": "import", "format": "csv", "path": "posts.csv",
                    "doc_kind": "post", "platform": None, "mapping": None})

    with (out / "factchecks.jsonl").open("w", encoding="utf-8") as fh:
        for c in CLAIMS:
            o = answer_url[c["key"]]
            fh.write(jline({"id": f"fc-{c['key']}", "claim_key": c["key"], "claim": c["claim"], "verdict": c["verdict"],
                            "explanation": c["explanation"], "evidence": o["url"],
                            "published_at": (o["published"] + dt.timedelta(hours=3)).isoformat(),
                            "publisher": "Tổ kiểm chứng Báo Lam Giang",
                            "url": f"https://baolamgiang.example/kiem-chung/{slug(c['claim'])}.html"}) + "\n")
    sources.append({"name": "Kiểm chứng (mẫu)", "kind": "factchecks", "format": "jsonl", "path": "factchecks.jsonl"})

    kinds: dict[str, int] = {}
    for it in gold["items"].values():
        kinds[it["kind"]] = kinds.get(it["kind"], 0) + 1
    gold["counts"] = {"items": len(gold["items"]), "kinds": kinds, "stories": len(STORIES), "claims": len(CLAIMS),
                      "syndicated": sum(1 for it in gold["items"].values() if it["syndicated_from"])}
    (out / "gold.json").write_text(json.dumps(gold, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    manifest = {"name": "Lam Giang (mẫu hư cấu)", "description": "Dữ liệu mẫu hư cấu về tỉnh Lam Giang: tin báo, thông tin chính thức, bài mạng xã hội và kiểm chứng. Tất cả tên người, địa danh, cơ quan báo chí đều là bịa đặt.",
                "generated_by": "scripts/make_sample.py", "seed": SEED, "period": [START.isoformat(), END.isoformat()],
                "timezone": "Asia/Ho_Chi_Minh", "now": sample_now(articles, official, posts + rising_posts),
                "watchlists": WATCHLISTS,
                "sources": sources, "gold": "gold.json"}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out / "README.md").write_text(README, encoding="utf-8")
    total = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"sample written to {out}: {gold['counts']}, {total / 1024:.0f} KiB")


def sample_now(*groups: list[dict]) -> str:
    """The sample's own "now": the hour after its last document (ISO 8601, Vietnam time). ``kiemchung
    demo`` anchors the installation's clock there, so the "now" views show the sample as it ends."""
    last = max(item["published"] for group in groups for item in group)
    return (last.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)).isoformat()


def write_posts_jsonl(out: Path, posts: list[dict], gold: dict, tail: list[dict] = ()) -> None:
    """A Facebook-like export, one JSON object a line, with three deliberately broken rows; ``tail``
    (posts added later to the sample) follows the rest so that the earlier rows keep their lines."""
    lines = []
    for n, p in enumerate([*posts, *tail], 1):
        pid = f"fb-{n:04d}"
        row = {"id": pid, "message": p["text"], "created_time": p["published"].isoformat(),
               "permalink_url": f"https://facebook.example/posts/{pid}", "from": {"name": p["author"]},
               "reactions": {"like": p["likes"]}, "shares": {"count": p["shares"]}, "comments_count": p["comments"]}
        lines.append(jline(row))
        gold["items"][pid] = {"file": "posts.jsonl", "kind": "post", "line": len(lines), "story": p["story"],
                              "claim": p["claim"], "style": p["style"], "syndicated_from": None}
    size = len(posts)
    broken = [
        (size // 4, '{"id":"fb-x001","message":"Bài này bị cắt ngang khi xuất dữ liệu","created_time":"2026-10-0'),
        (size // 2, jline({"id": "fb-x002", "message": "", "created_time": "2026-10-20T10:00:00+07:00"})),
        (3 * size // 4, jline({"id": "fb-x003", "message": "Hôm nay trời đẹp quá", "created_time": "2026-11-02T07:15:00+07:00",
                                     "reactions": {"like": "rất nhiều"}})),
    ]
    for offset, (at_line, text) in enumerate(broken):
        lines.insert(at_line + offset, text)
    line_of = {json.loads(t)["id"]: i for i, t in enumerate(lines, 1) if t.endswith("}")}
    for pid, it in gold["items"].items():
        if it["file"] == "posts.jsonl" and pid in line_of:
            it["line"] = line_of[pid]
    gold["broken_rows"]["posts.jsonl"] = [at_line + offset + 1 for offset, (at_line, _) in enumerate(broken)]
    (out / "posts.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_posts_csv(out: Path, posts: list[dict], gold: dict, tail: list[dict] = ()) -> None:
    """A social-listening tool export: semicolon CSV with a BOM, Vietnamese headers, day-first times;
    ``tail`` as in :func:`write_posts_jsonl`."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(["Mã bài", "Nền tảng", "Tài khoản", "Nội dung", "Thời gian", "Lượt thích", "Lượt chia sẻ",
                "Lượt bình luận", "Lượt xem", "Đường dẫn"])
    line = 1
    platforms = ["tiktok", "youtube", "zalo"]
    mid = len(posts) // 2  # the row whose time is broken
    for n, p in enumerate([*posts, *tail], 1):
        pid = f"sl-{n:04d}"
        platform = platforms[n % 3]
        extra = "\nAi biết thêm thông tin thì bình luận nhé."  # a multi-line record, in the post's style
        extra = fold(extra) if "nodiac" in p["style"] else extra.upper() if p["style"] == "caps" else extra
        text = p["text"] if n % 9 else p["text"] + (teencode(extra) if "teencode" in p["style"] else extra)
        when = p["published"].strftime("%d/%m/%Y %H:%M") if n != mid else "hôm qua"
        w.writerow([pid, platform, p["author"], text, when, f"{p['likes']:,}".replace(",", "."),
                    p["shares"], p["comments"], p["views"], f"https://{platform}.example/p/{pid}"])
        line += 1
        if n == mid:
            gold["broken_rows"]["posts.csv"] = [line]
        gold["items"][pid] = {"file": "posts.csv", "kind": "post", "line": line, "story": p["story"],
                              "claim": p["claim"], "style": p["style"], "syndicated_from": None,
                              "broken": n == mid}
        line += text.count("\n")
    (out / "posts.csv").write_text("\ufeff" + buf.getvalue(), encoding="utf-8", newline="")


if __name__ == "__main__":
    main()
