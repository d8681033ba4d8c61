// Spec vectors, transcribed from /work/shared/specs/bob.md §10.2 (produced by the reference spoke
// code) and §8.1 (single-file PACK example). Hex unless noted.

export interface SpokeVector {
  readonly name: string;
  readonly password: string;
  readonly clientIdentity: string;
  readonly serverIdentity: string;
  readonly public: string;
  readonly salt: string;
  readonly M: string;
  readonly N: string;
  readonly hK: string;
  readonly L: string;
  readonly x: string;
  readonly X: string;
  readonly y: string;
  readonly Y: string;
  readonly v2: string;
  readonly v3: string;
  readonly clientSk: string;
  readonly serverSk: string;
  readonly records: readonly { nonce: string; aad: string; plaintext: string; record: string }[];
}

export const VECTOR_A: SpokeVector = {
  name: 'A (bob defaults)',
  password: 'revolucion-para-siempre',
  clientIdentity: '127.0.0.1:48182',
  serverIdentity: '127.0.0.1:47922',
  public: '0001000200000000000000100000000200042654ad7b6721f04209e63446ea9b937a',
  salt: '2654ad7b6721f04209e63446ea9b937a',
  M: '2eae8c5c08ea35b8a587c431b1334cfe0d29f5f28f1d008aaae3c52aae7fb870',
  N: '679ca1da44abe976f7cf9e12316417ff27a7e6eb7d873d0caa329ad0176809da',
  hK: '43609a004ff88021ba94525515c673c20ea7a540efeb841594d7c68cfa97c16a',
  L: 'c3fdddba780f826e1023441b00c156ab05f63c805b9b9fbd94dd3c3b5e16f16e',
  x: 'd8a7bf13f1c278156742f8214c88811d96c2365c91a2fd5bd3e3187f49f84a36',
  X: '17a4c3bfd3081fe945450af81abb12a961df9184fb96c5c16c2dd7d341704cf4',
  y: '50de506bc965f96dfc8a1a39b8178040acf3e340fffe850219cfe551f57c7708',
  Y: '5a78ef795228f0fb3869d87632f68455498b3778f6db7abd429c86e5fcf2ed6b',
  v2: 'd56c27cc4b898f7b4b7c5bc52192379d49f2c5d9c8e06c0c1a3eed46ce1ce084e1efc1cd8b7c9d26fa025b1755b25d29cc7f35a2ac9253981a01351d2040b4f1',
  v3: 'c0a08cae3552def452e59203f300a891f37a0d6fcdd66180a784c6ba97f4068fda8c0d0d86718e5af531a1b8073b91e4ad50064cb219e1e5ecb9e22a6464bbc0',
  clientSk:
    '1e0eabfd7b17f9591b351b627dd61ec26bacb3ab87ba35f8d5052bc835f4eeb9265f8a1e8201d1e9b2fb4849d7d51578cdf772bf8a903e5347e690605a59d609',
  serverSk:
    '3b84e1ea9bc25b821acbde6a1937c80489e1dbaf9f4a49bb6749eeaa42de0ccf734ac590ffe3a888b5b98a33f9de0792924808991a8b2acfd9f85fab0f211a3c',
  records: [
    {
      nonce: '265f8a1e8201d1e9b2fb48490000000000000000',
      aad: '0001000d',
      plaintext: 'Hello World!\n',
      record: '000d0739c8f2772b96f4543f5148793aee1d6d1ea40e4b47ebf57b244c35d4',
    },
    {
      nonce: '265f8a1e8201d1e9b2fb48490000000000000001',
      aad: '00010004',
      plaintext: 'PACK',
      record: '0004d5ebfa7d6269b961440dca02ad9241ca230706c2',
    },
  ],
};

export const VECTOR_B: SpokeVector = {
  name: 'B (--reproduce identities)',
  password: 'toto',
  clientIdentity: 'foo',
  serverIdentity: 'bar',
  public: '00010002000000000000001000000002000432ace947f089bf2986639c36cfe30a16',
  salt: '32ace947f089bf2986639c36cfe30a16',
  M: 'bd3e2d5cc99d48d99b97a0639d634305ab37056254a2bfba3cc76d3e507e5a99',
  N: '7ae8ea339acab008b4ad74af89a7b26035471b73d01224b0e83476f13bfde275',
  hK: 'd0e8d5e54a47392e114ba9b6a531a5386d93d7d3e0929e4315326f173b7379e5',
  L: 'cfa98f9b15a2cbda695668478909430a7f6e9d1e117e175f41dc8bb16420892f',
  x: 'b8a71a6025ef4679a0ee5170cc379f6b21df632aa948f85e493f3b50cf94b03b',
  X: 'd1970e8e16f5d2185f045c698667c7929d044024478f878b109f9599184105ec',
  y: '90e8da497cdea46a46fb42379d70d16f5dd0781dde30e640a36a7374a47f2904',
  Y: '4507dc27ae3b5aa0eeb72ee17c94800a8a8d899c827c3914e5a5907ef0d53bb7',
  v2: 'a9616fae04e7466dcba923df0c0ec04bdeaeb4f290507e8fc35074de1e0cc90d390e5965ef6c219b366a390ccb6f1a23fe1f63cad00e9c82dfb382fce337656f',
  v3: 'bc9f909880044d80a308bbaea75282cd7f3447f88a32ae501610ff6934c61b571714ba7c9ffce174bed0477ae616e065adfa14ee9c0e2d9db0ca9e8d411100e1',
  clientSk:
    'eafb03d8a4b115bf438dcddf582a07ca8d13eeee61c9e727b7d1a969528d91f3a52a9f15fdcf33390948b6d339b5e3da3413187073581f5dff338b68df5a59ce',
  serverSk:
    '21b93cfc77213bc5044be41d6f39e331492fcff8a6da44853518daed2d111d78c804d1aa387d745c2fd0d6f4b95f2debca4fd71fb7e5528e67635f60b9eb74ec',
  records: [
    {
      nonce: 'a52a9f15fdcf33390948b6d30000000000000000',
      aad: '0001000d',
      plaintext: 'Hello World!\n',
      record: '000d337294797b890622fc4821b8d5c7fc6d95b0b3777364ea515fb95c6e1c',
    },
    {
      nonce: 'a52a9f15fdcf33390948b6d30000000000000001',
      aad: '00010004',
      plaintext: 'PACK',
      record: '0004ee9e9680143b41f913a0208ecde5587e63416373',
    },
  ],
};

/** §10.3: what a standard (big-endian index) PBKDF2 gives for vector A's h_K: must NOT match. */
export const WRONG_STANDARD_PBKDF2_HK =
  '23c082e7401fc2b0149848b76152d1cf7cd540a6d6d0eb847653ff6418624e1b';

/** §8.1: the single-file PACK of `example` containing "Hello World!\n" (Node zlib, level 4). */
export const SINGLE_FILE_PACK = {
  name: 'example',
  content: 'Hello World!\n',
  header: '5041434b0000000200000002',
  tagHeader: '47',
  tagZlib: '785e4bad48cc2dc84905000bc002ed',
  blobHeader: '3d',
  blobZlib: '785ef348cdc9c95708cf2fca4951e4020020910448',
  trailer: 'b1e36819ef2bcdc9e5befb3dafaee19ed26646cb',
};
